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
            config.Settings.StrictParsing = true;
            Configure(config);
        });
        try
        {
            return await app.RunAsync(args);
        }
        catch (CommandParseException ex)
        {
            // Strict parsing: an unknown option or a stray argument is refused, never silently ignored.
            (console ?? Errors()).MarkupLine($"[red]error:[/] {Markup.Escape(UnknownOptionHint.Describe(ex.Message, args))}");
            return 2;
        }
        catch (CommandRuntimeException ex)
        {
            (console ?? Errors()).MarkupLine($"[red]error:[/] {Markup.Escape(ex.Message)}");
            return 2;
        }
        catch (DfidException ex)
        {
            (console ?? Errors()).MarkupLine($"[red]error:[/] {Markup.Escape(ex.Message)}");
            return ex.ExitCode;
        }
    }

    // Errors go to stderr, so stdout holds only results (a script piping `--json` never reads an error as data).
    // Redirected (a log, a test), a message stays on one line: no wrapping at an assumed 80 columns.
    private static IAnsiConsole Errors()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (Console.IsErrorRedirected) console.Profile.Width = 4096;
        return console;
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
        Commands.WillingnessCommands.Register(config);
    }
}
