namespace WsssOnnx.CommandLine.Tests;

/// <summary>The small checks option validation uses: they pass good values through and name the option and its range otherwise.</summary>
public sealed class UsageExceptionTests
{
    [Fact]
    public void Check_throws_its_message_only_when_the_condition_fails()
    {
        UsageException.Check(true, "never");
        var e = Assert.Throws<UsageException>(() => UsageException.Check(false, "give --a or --b, not both."));
        Assert.Equal("give --a or --b, not both.", e.Message);
    }

    [Theory]
    [InlineData(1, 1, 1000)]
    [InlineData(1000, 1, 1000)]
    [InlineData(0, 0, 0)]
    public void CheckRange_returns_a_value_inside_the_closed_range(int value, int min, int max) =>
        Assert.Equal(value, UsageException.CheckRange(value, min, max, "--repeats"));

    [Theory]
    [InlineData(0, "--repeats must be in [1, 1000]; got 0.")]
    [InlineData(1001, "--repeats must be in [1, 1000]; got 1001.")]
    [InlineData(-5, "--repeats must be in [1, 1000]; got -5.")]
    public void CheckRange_names_the_option_the_range_and_the_value(int value, string expected) =>
        Assert.Equal(expected, Assert.Throws<UsageException>(() => UsageException.CheckRange(value, 1, 1000, "--repeats")).Message);

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(-0.001f)]
    [InlineData(1.5f)]
    public void CheckRange_refuses_floats_outside_the_range_and_nan(float value)
    {
        var e = Assert.Throws<UsageException>(() => UsageException.CheckRange(value, 0f, 1f, "--threshold"));
        Assert.StartsWith("--threshold must be in [0, 1]; got ", e.Message);
    }

    [Fact]
    public void CheckRange_writes_fractions_with_a_point() =>
        Assert.Equal("--threshold must be in [0, 0.5]; got 0.75.", Assert.Throws<UsageException>(() => UsageException.CheckRange(0.75, 0.0, 0.5, "--threshold")).Message);

    private sealed record Settings(int Epochs)
    {
        public Settings Validate()
        {
            if (Epochs is < 1 or > 10) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be between 1 and 10");
            return this;
        }
    }

    [Fact]
    public void Validated_returns_a_valid_record_and_turns_its_refusal_into_one_sentence()
    {
        Assert.Equal(new Settings(3), UsageException.Validated(new Settings(3).Validate));
        var e = Assert.Throws<UsageException>(() => UsageException.Validated(new Settings(0).Validate));
        Assert.Equal("Epochs must be between 1 and 10", e.Message); // without " (Parameter 'Epochs')" and "Actual value was 0."
        Assert.IsType<ArgumentOutOfRangeException>(e.InnerException);
    }

    [Fact]
    public void Validated_lets_other_exceptions_through()
    {
        Assert.Throws<InvalidOperationException>(() => UsageException.Validated(() => throw new InvalidOperationException("a bug")));
        Assert.Throws<IOException>(() => UsageException.Validated((Action)(() => throw new IOException("disk"))));
    }

    [Fact]
    public void A_message_without_a_parameter_name_is_kept_whole()
    {
        Assert.Equal("package name 'a/b' must be a plain folder name",
            UsageException.WithoutParameterName(new ArgumentException("package name 'a/b' must be a plain folder name")));
        Assert.Equal("the list (Parameter 'x') is odd", UsageException.WithoutParameterName(new ArgumentException("the list (Parameter 'x') is odd")));
    }
}
