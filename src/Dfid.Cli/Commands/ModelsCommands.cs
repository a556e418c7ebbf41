using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary>Registers the models verbs.</summary>
internal static class ModelsCommands
{
    public static void Register(IConfigurator config)
    {
    }
}
