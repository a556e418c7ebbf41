using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary>Registers the run verbs.</summary>
internal static class RunCommands
{
    public static void Register(IConfigurator config)
    {
    }
}
