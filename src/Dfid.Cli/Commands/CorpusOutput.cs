using Spectre.Console;

namespace Dfid.Cli.Commands;

/// <summary>Line output for the corpus verbs: results on the console's own writer (never wrapped, so
/// <c>FILE:LINE: reason</c> lines stay greppable), notes and progress on stderr.</summary>
internal static class CorpusOutput
{
    public static void Line(IAnsiConsole console, string text) => console.Profile.Out.Writer.WriteLine(text);

    public static void Note(string text) => Console.Error.WriteLine(text);
}
