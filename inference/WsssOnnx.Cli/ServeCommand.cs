using System.CommandLine;

namespace WsssOnnx.Cli;

/// <summary>`wsss serve`: the gRPC service. Until it exists (issue 6), it says so and checks what it will run on.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var models = new Option<DirectoryInfo>("--models") { Description = "Model packages folder", DefaultValueFactory = _ => new DirectoryInfo("models") };
        var command = new Command("serve", "Serve the gRPC API on the model packages in --models (not built yet)") { models };
        command.SetAction(result =>
        {
            Console.Error.WriteLine("wsss serve: the gRPC service is not built yet; this build can only check the runtime (`wsss info`).");
            return ExitCodes.NotImplemented;
        });
        return command;
    }
}
