using System.CommandLine;

namespace WsssOnnx.CommandLine.Tests;

/// <summary>What escapes a command becomes an exit code and what stderr says: one sentence for the user's mistakes, a stack trace only for bugs.</summary>
public sealed class CommandLineProgramTests
{
    private sealed class DatasetLikeException(string message) : Exception(message);

    private sealed class RuntimeLikeException(string message) : Exception(message);

    /// <summary>A program named "tool" whose one command, "go", throws <paramref name="failure"/> (or returns <paramref name="code"/>).</summary>
    private static CommandLineProgram Program(Func<Exception?> failure, int code = ExitCodes.Ok)
    {
        var count = new Option<int>("--count") { DefaultValueFactory = _ => 1 };
        var go = new Command("go") { count };
        go.SetAction(_ =>
        {
            if (failure() is { } e) throw e;
            return code;
        });
        return new CommandLineProgram("tool", new RootCommand("test tool") { go })
            .Fails<DatasetLikeException>()
            .Fails<IOException>()
            .RuntimeMissing<RuntimeLikeException>();
    }

    private static (int Code, string Error) Invoke(Func<Exception?> failure, params string[] args)
    {
        var error = new StringWriter();
        int code = Program(failure).Invoke(args.Length == 0 ? ["go"] : args, error);
        return (code, error.ToString());
    }

    private static void AssertOneSentence(string error, string expected)
    {
        Assert.Equal($"tool: {expected}", error.TrimEnd('\n', '\r'));
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void A_command_that_returns_passes_its_code_through()
    {
        Assert.Equal((ExitCodes.Ok, ""), Invoke(() => null));
        var error = new StringWriter();
        Assert.Equal(ExitCodes.Interrupted, Program(() => null, ExitCodes.Interrupted).Invoke(["go"], error));
        Assert.Empty(error.ToString());
    }

    [Fact]
    public void A_usage_exception_is_exit_2_and_its_sentence()
    {
        var (code, error) = Invoke(() => new UsageException("--count must be in [1, 9]; got 0."));
        Assert.Equal(ExitCodes.Usage, code);
        AssertOneSentence(error, "--count must be in [1, 9]; got 0.");
    }

    [Fact]
    public void A_parse_error_is_exit_2()
    {
        var (code, error) = Invoke(() => null, "go", "--count", "many");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("many", error);
        (code, _) = Invoke(() => null, "go", "--no-such-option");
        Assert.Equal(ExitCodes.Usage, code);
    }

    [Fact]
    public void A_command_failure_is_exit_1_and_its_sentence()
    {
        var (code, error) = Invoke(() => new CommandFailedException("the folder /x does not exist.", new DirectoryNotFoundException("inner")));
        Assert.Equal(ExitCodes.Failed, code);
        AssertOneSentence(error, "the folder /x does not exist.");
    }

    [Fact]
    public void Registered_failure_types_and_their_subtypes_are_exit_1()
    {
        var (code, error) = Invoke(() => new DatasetLikeException("/data/a.xml: not well-formed"));
        Assert.Equal(ExitCodes.Failed, code);
        AssertOneSentence(error, "/data/a.xml: not well-formed");

        (code, error) = Invoke(() => new FileNotFoundException("Could not find file '/data/list.txt'."));
        Assert.Equal(ExitCodes.Failed, code);
        AssertOneSentence(error, "Could not find file '/data/list.txt'.");
    }

    [Fact]
    public void The_registered_runtime_missing_type_is_exit_3()
    {
        var (code, error) = Invoke(() => new RuntimeLikeException("ONNX Runtime's native library is missing; run scripts/setup.sh."));
        Assert.Equal(ExitCodes.RuntimeMissing, code);
        AssertOneSentence(error, "ONNX Runtime's native library is missing; run scripts/setup.sh.");
    }

    [Theory]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(ArgumentException))]
    [InlineData(typeof(NullReferenceException))]
    [InlineData(typeof(KeyNotFoundException))]
    public void An_unregistered_exception_is_a_bug_exit_70_with_type_message_and_stack_trace(Type type)
    {
        var (code, error) = Invoke(() => (Exception)Activator.CreateInstance(type, "the state went wrong")!);
        Assert.Equal(ExitCodes.InternalError, code);
        string[] lines = error.Split('\n');
        Assert.StartsWith("tool: internal error: this is a bug in tool", lines[0]);
        Assert.Contains($"{type.FullName}: the state went wrong", error);
        Assert.Contains("   at ", error);
        Assert.Contains($"{nameof(CommandLineProgramTests)}.<>c", error); // the frame that threw: the command's action above
    }

    [Fact]
    public void An_aggregate_of_one_failure_is_that_failure()
    {
        var (code, error) = Invoke(() => new AggregateException(new AggregateException(new UsageException("--count must be positive."))));
        Assert.Equal(ExitCodes.Usage, code);
        AssertOneSentence(error, "--count must be positive.");

        (code, error) = Invoke(() => new AggregateException(new IOException("disk full"), new IOException("disk full")));
        Assert.Equal(ExitCodes.InternalError, code);
        Assert.Contains("   at ", error);
    }

    [Fact]
    public void A_later_registration_overrides_a_broader_earlier_one()
    {
        var error = new StringWriter();
        var program = new CommandLineProgram("tool", new RootCommand()).Fails<Exception>().RuntimeMissing<DllNotFoundException>();
        Assert.Equal(ExitCodes.RuntimeMissing, program.ExitCodeFor(new DllNotFoundException("libonnxruntime.so"), error));
        Assert.Equal(ExitCodes.Failed, program.ExitCodeFor(new InvalidOperationException("any"), error));
    }
}
