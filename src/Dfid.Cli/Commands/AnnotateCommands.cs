using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary>Registers <c>dfid annotate</c>.</summary>
internal static class AnnotateCommands
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<AnnotateCommand>("annotate")
            .WithDescription("Label user turns in the browser (local web app): blind, keyboard-driven, saved at once, resumable.")
            .WithExample("annotate", "p4g.jsonl", "--sample", "200", "--annotator", "ana");
    }
}
