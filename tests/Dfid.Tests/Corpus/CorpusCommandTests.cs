using System.Text.Json;
using Dfid.Corpus;
using Spectre.Console.Testing;

namespace Dfid.Tests.Corpus;

public class CorpusCommandTests
{
    private static async Task<(int Code, string Output)> Run(params string[] args)
    {
        var console = new TestConsole();
        var code = await Dfid.Cli.DfidApp.RunAsync(args, console);
        return (code, console.Output);
    }

    [Fact]
    public async Task Validate_ThreeFaultFile_PrintsThreeFileLineErrorsAndExits1()
    {
        var path = TestData.Fixture("corpus", "three-faults.jsonl");

        var (code, output) = await Run("corpus", "validate", path);

        Assert.Equal(1, code);
        var errors = output.Split('\n').Where(l => l.StartsWith(path + ":", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, errors.Count);
        Assert.StartsWith(path + ":3: bad JSON", errors[0]);
        Assert.StartsWith(path + ":4: turn 1: unknown role \"customer\"", errors[1]);
        Assert.StartsWith(path + ":6: duplicate id \"c1\"", errors[2]);
    }

    [Fact]
    public async Task Validate_ValidFile_Exits0()
    {
        var (code, output) = await Run("corpus", "validate", TestData.Fixture("corpus", "valid.jsonl"));
        Assert.Equal(0, code);
        Assert.Contains("3 conversations, no problems", output);
    }

    [Fact]
    public async Task Import_ThreeFaultFile_FailsWithoutSkipInvalidAndWritesNothing()
    {
        var outPath = Path.Combine(TestData.TempDir(), "out.jsonl");

        var (code, output) = await Run("corpus", "import", "--format", "jsonl", "--in", TestData.Fixture("corpus", "three-faults.jsonl"), "--out", outPath);

        Assert.Equal(1, code);
        Assert.False(File.Exists(outPath));
        Assert.Contains("--skip-invalid", output);
    }

    [Fact]
    public async Task Import_SkipInvalid_KeepsTheGoodLines()
    {
        var outPath = Path.Combine(TestData.TempDir(), "out.jsonl");

        var (code, output) = await Run("corpus", "import", "--format", "jsonl", "--in", TestData.Fixture("corpus", "three-faults.jsonl"), "--out", outPath, "--skip-invalid");

        Assert.Equal(0, code);
        Assert.Equal(["c1", "c2", "c5"], CorpusFile.ReadAll(outPath).Select(c => c.Id));
        Assert.Contains("3 problems skipped", output);
    }

    [Fact]
    public async Task Import_NoFormat_IsAUsageError()
    {
        var (code, _) = await Run("corpus", "import", "--out", "x.jsonl");
        Assert.Equal(2, code);
    }

    [Fact]
    public async Task ImportThenStats_PersuasionForGoodFromDataFolder_AcceptanceNumbers()
    {
        var outPath = Path.Combine(TestData.TempDir(), "p4g.jsonl");

        var (importCode, _) = await Run("corpus", "import", "--format", "persuasionforgood", "--data", TestData.Data, "--out", outPath);
        var (code, output) = await Run("corpus", "stats", outPath, "--json");

        Assert.Equal(0, importCode);
        Assert.Equal(0, code);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(1017, json.GetProperty("conversations").GetInt32());
        Assert.Equal(545, json.GetProperty("converted").GetInt32());
        Assert.Equal(472, json.GetProperty("not_converted").GetInt32());
        Assert.Equal(300, json.GetProperty("annotated_conversations").GetInt32());
        Assert.Equal(1017, json.GetProperty("verified").GetInt32());
        Assert.Equal(3, json.GetProperty("user_turns").GetProperty("min").GetInt32());

        var (whereCode, whereOutput) = await Run("corpus", "stats", outPath, "--json", "--where", "not-converted");
        Assert.Equal(0, whereCode);
        Assert.Equal(472, JsonDocument.Parse(whereOutput).RootElement.GetProperty("conversations").GetInt32());
    }

    [Fact]
    public async Task Stats_Table_ForHumans()
    {
        var (code, output) = await Run("corpus", "stats", TestData.Fixture("corpus", "valid.jsonl"));
        Assert.Equal(0, code);
        Assert.Contains("not converted", output);
        Assert.Contains("2 / 3 / 3 / 4", output);
    }

    [Fact]
    public async Task Stats_BadWhere_IsAUsageError()
    {
        var (code, _) = await Run("corpus", "stats", TestData.Fixture("corpus", "valid.jsonl"), "--where", "bought");
        Assert.Equal(2, code);
    }

    [Fact]
    public async Task Stats_FileWithProblems_Exits1()
    {
        var (code, output) = await Run("corpus", "stats", TestData.Fixture("corpus", "three-faults.jsonl"), "--json");
        Assert.Equal(1, code);
        Assert.Equal(3, JsonDocument.Parse(output).RootElement.GetProperty("conversations").GetInt32());
    }

    [Fact]
    public async Task Sample_IsDeterministicForASeed()
    {
        var dir = TestData.TempDir();
        var corpus = Path.Combine(dir, "p4g.jsonl");
        await Run("corpus", "import", "--format", "persuasionforgood", "--in", TestData.Fixture("corpus", "p4g"), "--out", corpus);

        var (code, output) = await Run("corpus", "sample", corpus, "--balanced", "1", "--seed", "4", "--out", Path.Combine(dir, "a.jsonl"));
        await Run("corpus", "sample", corpus, "--balanced", "1", "--seed", "4", "--out", Path.Combine(dir, "b.jsonl"));

        Assert.Equal(0, code);
        Assert.Contains("1 not converted of 1, 1 converted of 2", output);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "a.jsonl")), File.ReadAllText(Path.Combine(dir, "b.jsonl")));
        Assert.Equal(2, CorpusFile.ReadAll(Path.Combine(dir, "a.jsonl")).Count);
    }

    [Fact]
    public async Task Sample_WithoutBalanced_IsAUsageError()
    {
        var (code, _) = await Run("corpus", "sample", TestData.Fixture("corpus", "valid.jsonl"), "--out", "x.jsonl");
        Assert.Equal(2, code);
    }

    [Fact]
    public async Task Import_JsonlWithoutIn_IsAUsageErrorNamingTheOption()
    {
        var (code, output) = await Run("corpus", "import", "--format", "jsonl", "--out", Path.Combine(TestData.TempDir(), "x.jsonl"));
        Assert.Equal(2, code);
        Assert.Contains("--in PATH is required for --format jsonl", output);
    }

    [Fact]
    public async Task Import_MissingDataFolder_SaysWhatToPass()
    {
        var (code, output) = await Run("corpus", "import", "--format", "salestalk-ja", "--data", "/nonexistent/data", "--out", Path.Combine(TestData.TempDir(), "x.jsonl"));
        Assert.Equal(2, code);
        Assert.Contains("--data /nonexistent/data", output);
    }

    [Fact]
    public async Task ImportThenStats_SalesTalkFromDataFolder_AcceptanceNumbers()
    {
        var outPath = Path.Combine(TestData.TempDir(), "st.jsonl");

        var (importCode, importOutput) = await Run("corpus", "import", "--format", "salestalk-ja", "--data", TestData.Data, "--out", outPath);
        var (code, output) = await Run("corpus", "stats", outPath, "--json", "--where", "converted");

        Assert.Equal(0, importCode);
        Assert.Contains("wrote 109 conversations", importOutput);
        Assert.Equal(0, code);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(47, json.GetProperty("conversations").GetInt32());
        Assert.Equal(47, json.GetProperty("converted").GetInt32());
    }

    [Theory]
    [InlineData("import")]
    [InlineData("validate")]
    [InlineData("stats")]
    [InlineData("sample")]
    public async Task Help_EveryVerb_Renders(string verb)
    {
        var (code, output) = await Run("corpus", verb, "--help");
        Assert.Equal(0, code);
        Assert.Contains("USAGE:", output);
    }
}
