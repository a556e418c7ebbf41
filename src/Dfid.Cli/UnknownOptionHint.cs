using System.Reflection;
using System.Text.RegularExpressions;
using Spectre.Console.Cli;

namespace Dfid.Cli;

/// <summary>
/// Turns the parser's "unknown option" into a message that names the command and the nearest valid option
/// ("did you mean --permutations?"). The command is found from the words before the first option by the CLI's naming
/// rule (<c>dfid corpus stats</c> is <c>CorpusStatsCommand</c>), its options from its settings' attributes.
/// </summary>
internal static partial class UnknownOptionHint
{
    /// <summary>The message for a parse error, with a suggestion when the error is an unknown option of a known command.</summary>
    public static string Describe(string parserMessage, IReadOnlyList<string> args)
    {
        var words = CommandWords(args);
        var settings = SettingsOf(words);
        var command = settings is null ? words : words.Take(WordsOf(words)).ToList();
        if (UnknownOption().Match(parserMessage) is not { Success: true } m)
            return settings is null ? parserMessage : $"{parserMessage} See `dfid {string.Join(' ', command)} --help`.";
        var given = m.Groups[1].Value;
        var prefix = given.Length == 1 ? "-" : "--";
        var where = command.Count > 0 ? $" for `dfid {string.Join(' ', command)}`" : "";
        var text = $"unknown option {prefix}{given}{where}";
        if (settings is null) return text + ".";
        var options = OptionsOf(settings);
        var nearest = options.Select(o => (Name: o, Distance: Distance(given, o))).OrderBy(x => x.Distance).ThenBy(x => x.Name, StringComparer.Ordinal).FirstOrDefault();
        return nearest.Name is not null && nearest.Distance <= Math.Max(2, given.Length / 3)
            ? $"{text}; did you mean --{nearest.Name}?"
            : $"{text}; its options are {string.Join(", ", options.Select(o => "--" + o))}.";
    }

    /// <summary>The long option names of a settings type (inherited ones included), without dashes.</summary>
    public static IReadOnlyList<string> OptionsOf(Type settings) =>
        settings.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => p.GetCustomAttribute<CommandOptionAttribute>())
            .Where(a => a is not null)
            .SelectMany(a => a!.LongNames)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>The settings type of the command named by the first words of <paramref name="words"/> (a noun and a verb, or a
    /// verb), or null.</summary>
    public static Type? SettingsOf(IReadOnlyList<string> words)
    {
        var n = WordsOf(words);
        return n == 0 ? null : Settings(words.Take(n));
    }

    // How many of the words name the command (the longest prefix that does), 0 when none.
    private static int WordsOf(IReadOnlyList<string> words)
    {
        for (var n = Math.Min(2, words.Count); n >= 1; n--)
            if (Settings(words.Take(n)) is not null) return n;
        return 0;
    }

    private static Type? Settings(IEnumerable<string> words)
    {
        var type = typeof(UnknownOptionHint).Assembly.GetType("Dfid.Cli.Commands." + string.Concat(words.Select(Pascal)) + "Command");
        for (var t = type; t is not null; t = t.BaseType)
            if (t.IsGenericType && t.GenericTypeArguments is [var s] && typeof(CommandSettings).IsAssignableFrom(s)) return s;
        return null;
    }

    private static List<string> CommandWords(IReadOnlyList<string> args) =>
        args.TakeWhile(a => !a.StartsWith('-')).Take(2).Where(a => CommandWord().IsMatch(a)).ToList();

    private static string Pascal(string word) =>
        string.Concat(word.Split('-').Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));

    // Optimal string alignment distance (Levenshtein with transpositions): "permutaitons" is one edit from "permutations".
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }

    [GeneratedRegex("^Unknown option '([^']+)'")]
    private static partial Regex UnknownOption();

    [GeneratedRegex("^[a-z][a-z-]*$")]
    private static partial Regex CommandWord();
}
