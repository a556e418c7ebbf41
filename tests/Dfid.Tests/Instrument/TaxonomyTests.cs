using Dfid.Instrument;

namespace Dfid.Tests.Instrument;

public sealed class TaxonomyTests
{
    [Fact]
    public void Default_HasAllTermsAndTheThreeProtocolCodings()
    {
        var t = StageTaxonomy.Default;
        Assert.Equal(["resisting", "exploring", "engaging", "considering", "deciding"], t.Stages.Select(s => s.Name));
        Assert.Equal(4, t.Emotions.Length);
        Assert.Contains(t.Blockers, b => b.Name == "prior-failure");
        Assert.All(t.Stages, s => Assert.NotEmpty(s.Examples));
        var ordinal = t.Coding("ordinal");
        Assert.Equal(0, ordinal.Code(Stage.Resisting));
        Assert.Equal(4, ordinal.Code(Stage.Deciding));
        Assert.Equal(1, t.Coding("binary-resistance").Code(Stage.Resisting));
        Assert.Equal(0, t.Coding("binary-resistance").Code(Stage.Exploring));
        Assert.Equal(1, t.Coding("deep-funnel").Code(Stage.Considering));
        Assert.Equal(0, t.Coding("deep-funnel").Code(Stage.Engaging));
        Assert.Equal("ordinal", t.Codings[0].Name);
    }

    [Fact]
    public void Load_UserFile_MissingStageValue_NamesTheCodingAndStage()
    {
        var yaml = StageTaxonomy.Default.Source; // keep a reference to make sure default loaded
        Assert.StartsWith("embedded:", yaml);
        var dir = TestData.TempDir();
        var path = Path.Combine(dir, "tax.yaml");
        var text = File.ReadAllText(Path.Combine(TestData.RepoRoot, "src/Dfid/Resources/instrument/taxonomy.yaml"))
            + "  - name: mine\n    description: custom\n    values: { resisting: -1, exploring: 0 }\n";
        File.WriteAllText(path, text);
        var ex = Assert.Throws<DfidException>(() => StageTaxonomy.Load(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("coding 'mine': no value for stage 'engaging'", ex.Message);
    }

    [Fact]
    public void Load_UserFile_WithOwnCoding_Works()
    {
        var dir = TestData.TempDir();
        var path = Path.Combine(dir, "tax.yaml");
        var text = File.ReadAllText(Path.Combine(TestData.RepoRoot, "src/Dfid/Resources/instrument/taxonomy.yaml"))
            + "  - name: walk-away\n    description: custom\n    values: { resisting: 1, exploring: 0.5, engaging: 0, considering: 0, deciding: 0 }\n";
        File.WriteAllText(path, text);
        var t = StageTaxonomy.Load(path);
        Assert.Equal(0.5, t.Coding("walk-away").Code(Stage.Exploring));
        Assert.Throws<DfidException>(() => t.Coding("nope"));
    }

    [Fact]
    public void Parse_UnknownKey_NamesFileLineAndKey()
    {
        var text = File.ReadAllText(Path.Combine(TestData.RepoRoot, "src/Dfid/Resources/instrument/taxonomy.yaml"))
            .Replace("stages:\n  - name: resisting\n", "stages:\n  - name: resisting\n    defintion: typo\n", StringComparison.Ordinal);
        var line = text[..text.IndexOf("defintion", StringComparison.Ordinal)].Count(ch => ch == '\n') + 1;
        var ex = Assert.Throws<DfidException>(() => StageTaxonomy.Parse(text, "mine.yaml"));
        Assert.StartsWith($"mine.yaml:{line}: stages.defintion: unknown key", ex.Message);
    }

    [Theory]
    [InlineData("format: [a, b]\nname: x\n", "mine.yaml:1: format: expected a single value")]
    [InlineData("name: x\nstages: resisting\n", "mine.yaml:2: stages: expected a list (- item)")]
    [InlineData("name: x\ncodings:\n  - name: c\n    values: { resisting: high }\n", "mine.yaml:4: codings.values.resisting: 'high' is not a number")]
    public void Parse_WrongShape_NamesLineAndKey(string yaml, string expected)
    {
        var ex = Assert.Throws<DfidException>(() => StageTaxonomy.Parse(yaml, "mine.yaml"));
        Assert.Equal(expected, ex.Message);
    }

    [Theory]
    [InlineData("prior-failure", Blocker.PriorFailure)]
    [InlineData("PriorFailure", Blocker.PriorFailure)]
    [InlineData(" none ", Blocker.None)]
    public void StateNames_ParseKebabAndPascal(string name, Blocker expected)
    {
        Assert.True(StateNames.TryParse(name, out Blocker b));
        Assert.Equal(expected, b);
        Assert.False(StateNames.TryParse("3", out Blocker _));
        Assert.Equal("push-close", StateNames.Of(AgentAction.PushClose));
    }
}
