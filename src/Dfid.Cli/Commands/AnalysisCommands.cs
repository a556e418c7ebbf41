using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary>Registers the analysis verbs.</summary>
internal static class AnalysisCommands
{
    public static void Register(IConfigurator config)
    {
    }
}
