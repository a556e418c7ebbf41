using Dfid;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli;

/// <summary>The <c>dfid</c> command tree: <c>dfid NOUN VERB</c>, each verb one command class.</summary>
public static class DfidApp
{
    /// <summary>Runs the CLI; exit codes: 0 ok, 1 findings or failures, 2 usage.</summary>
    public static async Task<int> RunAsync(string[] args, IAnsiConsole? console = null)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("dfid");
            if (console is not null) config.ConfigureConsole(console);
            config.PropagateExceptions();
            Configure(config);
        });
        try
        {
            return await app.RunAsync(args);
        }
        catch (CommandParseException ex)
        {
            (console ?? AnsiConsole.Console).MarkupLine($"[red]error:[/] {Markup.Escape(ex.Message)}");
            return 2;
        }
        catch (CommandRuntimeException ex)
        {
            (console ?? AnsiConsole.Console).MarkupLine($"[red]error:[/] {Markup.Escape(ex.Message)}");
            return 2;
        }
        catch (DfidException ex)
        {
            (console ?? AnsiConsole.Console).MarkupLine($"[red]error:[/] {Markup.Escape(ex.Message)}");
            return ex.ExitCode;
        }
    }

    // Each noun registers its verbs here; keep one line per branch so parallel work merges cleanly.
    private static void Configure(IConfigurator config)
    {
        Commands.CorpusCommands.Register(config);
        Commands.ModelsCommands.Register(config);
        Commands.InstrumentCommands.Register(config);
        Commands.RunCommands.Register(config);
        Commands.AnalysisCommands.Register(config);
        Commands.ReportCommands.Register(config);
        Commands.AnnotateCommands.Register(config);
        Commands.LabelsCommands.Register(config);
    }
}
