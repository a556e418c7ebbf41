using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary>Registers the corpus verbs.</summary>
internal static class CorpusCommands
{
    public static void Register(IConfigurator config)
    {
    }
}
