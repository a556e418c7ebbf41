namespace Dfid.Tests;

public class SmokeTests
{
    [Fact]
    public async Task Cli_UnknownCommand_ExitsWithUsageCode()
    {
        var console = new Spectre.Console.Testing.TestConsole();
        var code = await Dfid.Cli.DfidApp.RunAsync(["no-such-command"], console);
        Assert.Equal(2, code);
    }
}
