using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary>Registers the instrument verbs.</summary>
internal static class InstrumentCommands
{
    public static void Register(IConfigurator config)
    {
    }
}
