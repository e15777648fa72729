using System.Globalization;
using System.Numerics;

namespace WsssOnnx.CommandLine;

/// <summary>The command line is wrong: a value out of range, options that contradict each other. One sentence naming the option (exit code 2).</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message, Exception? innerException = null) : base(message, innerException) { }

    /// <summary>Throws <paramref name="message"/> unless <paramref name="condition"/> holds.</summary>
    public static void Check(bool condition, string message)
    {
        if (!condition) throw new UsageException(message);
    }

    /// <summary>
    /// Returns <paramref name="value"/> if it lies in [<paramref name="min"/>, <paramref name="max"/>]; else throws
    /// "--option must be in [min, max]; got value." NaN is never in range.
    /// </summary>
    public static T CheckRange<T>(T value, T min, T max, string optionName) where T : INumber<T>
    {
        if (!(value >= min && value <= max))
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"{optionName} must be in [{min}, {max}]; got {value}."));
        return value;
    }

    /// <summary>
    /// Runs an options record's own validation (which throws <see cref="ArgumentException"/> naming the field and its range)
    /// and turns its refusal into a usage error, so the record stays the one place that knows the ranges.
    /// </summary>
    public static T Validated<T>(Func<T> validate)
    {
        ArgumentNullException.ThrowIfNull(validate);
        try
        {
            return validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(WithoutParameterName(e), e);
        }
    }

    /// <summary>As <see cref="Validated{T}(Func{T})"/> for a check that returns nothing.</summary>
    public static void Validated(Action validate)
    {
        ArgumentNullException.ThrowIfNull(validate);
        Validated(() =>
        {
            validate();
            return true;
        });
    }

    /// <summary>The exception's message without the " (Parameter 'x')" suffix .NET appends, on one line.</summary>
    public static string WithoutParameterName(ArgumentException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        string message = e.Message;
        int suffix = e.ParamName is null ? -1 : message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
        if (suffix >= 0) message = message[..suffix];
        return message.Split('\n')[0].TrimEnd();
    }
}
