using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary>Registers the report verbs.</summary>
internal static class ReportCommands
{
    public static void Register(IConfigurator config)
    {
    }
}
