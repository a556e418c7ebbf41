using System.Reflection;
using Dfid.Cli;
using Spectre.Console.Cli;
using Spectre.Console.Testing;

namespace Dfid.Tests.Cli;

public sealed class UnknownOptionTests
{
    /// <summary>Every verb of the CLI (found by reflection: each is one command class), with one of its options.</summary>
    public static TheoryData<string, int, string> Verbs()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var type in typeof(DfidApp).Assembly.GetTypes().Where(t => t.Namespace == "Dfid.Cli.Commands" && t.Name.EndsWith("Command", StringComparison.Ordinal) && !t.IsAbstract))
        {
            var settings = UnknownOptionHint.SettingsOf(Words(type.Name));
            Assert.True(settings is not null, $"{type.Name}: its name does not give its command words");
            // A verb without options still refuses one ("" below: no suggestion to expect).
            var option = UnknownOptionHint.OptionsOf(settings!).FirstOrDefault(o => o.Length >= 4) ?? "";
            var arguments = settings!.GetProperties().Count(p => p.GetCustomAttribute<CommandArgumentAttribute>() is not null);
            data.Add(string.Join(' ', Words(type.Name)), arguments, option);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Verbs))]
    public async Task Verb_MisspeltOption_ExitsTwoNamingTheNearestOption(string verb, int arguments, string option)
    {
        // Given: the option with its last letter dropped (one edit away), after any positional arguments
        var misspelt = option.Length > 0 ? "--" + option[..^1] : "--verbose";
        string[] args = [.. verb.Split(' '), .. Enumerable.Repeat("x", arguments), misspelt, "1"];
        var console = new TestConsole();
        console.Profile.Width = 400;

        // When
        var exit = await DfidApp.RunAsync(args, console);

        // Then
        Assert.Equal(2, exit);
        Assert.Contains(option.Length > 0
            ? $"unknown option {misspelt} for `dfid {verb}`; did you mean --{option}?"
            : $"unknown option {misspelt} for `dfid {verb}`", console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Verbs_CoverEveryCommandOfTheCli() => Assert.True(Verbs().Count() >= 14, $"{Verbs().Count()} verbs found");

    [Fact]
    public async Task Analyze_TypoOfPermutations_RefusedBeforeAnyWork()
    {
        var console = new TestConsole();
        console.Profile.Width = 400;
        var exit = await DfidApp.RunAsync(["analyze", "no-such-run", "--permutation", "5"], console);
        Assert.Equal(2, exit);
        Assert.Contains("did you mean --permutations?", console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CorpusStats_ExtraArgument_Refused()
    {
        var console = new TestConsole();
        console.Profile.Width = 400;
        var exit = await DfidApp.RunAsync(["corpus", "stats", "a.jsonl", "extra"], console);
        Assert.Equal(2, exit);
        Assert.Contains("'extra'", console.Output, StringComparison.Ordinal);
        Assert.Contains("dfid corpus stats --help", console.Output, StringComparison.Ordinal);
    }

    private static string[] Words(string typeName) =>
        System.Text.RegularExpressions.Regex.Split(typeName[..^"Command".Length], "(?<!^)(?=[A-Z])").Select(w => w.ToLowerInvariant()).ToArray();
}
