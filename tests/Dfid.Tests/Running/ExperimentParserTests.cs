using Dfid.Running;

namespace Dfid.Tests.Running;

public class ExperimentParserTests
{
    private static string Folder()
    {
        var dir = TestData.TempDir();
        File.WriteAllText(Path.Combine(dir, "p4g.jsonl"), "");
        return dir;
    }

    private const string Valid = """
        corpus: p4g.jsonl
        sample: { balanced: 187, seed: 7 }
        probes: { positions: [0.3, 0.6, 0.9], skip_greeting: true }
        simulators:
          replay: { kind: replay }
          retrieval: { kind: retrieval }
          persona: { kind: persona, model: "openai:gpt-4o-mini", temperature: 0.7 }
          instructed: { kind: instructed, model: "openai:gpt-4o-mini", temperature: 0.7 }
        instruments:
          learned: { kind: learned }
          judge: { kind: llm, model: "openai:gpt-4o-mini", temperature: 0 }
        actions: { kind: llm, model: "openai:gpt-4o-mini" }
        conditions:
          - { simulator: persona, instrument: judge }
          - { simulator: instructed, instrument: judge }
          - { simulator: retrieval, instrument: learned }
          - { simulator: replay, instrument: learned }
        budget: { max_cost_usd: 5 }
        """;

    [Fact]
    public void Parse_IssueExample_ReadsEverything()
    {
        var dir = Folder();
        var e = ExperimentParser.Parse(Valid, Path.Combine(dir, "exp.yaml"));
        Assert.Equal(Path.Combine(dir, "p4g.jsonl"), e.CorpusPath);
        Assert.Equal(new SampleSpec(187, 7), e.Sample);
        Assert.Equal([0.3, 0.6, 0.9], e.Probes.Positions!);
        Assert.Equal("instructed", e.Simulators["instructed"].Kind);
        Assert.Equal(0.7, e.Simulators["persona"].Model!.Temperature);
        Assert.Equal("llm", e.Instruments["judge"].Kind);
        Assert.Equal(["persona", "instructed", "retrieval", "replay"], e.Conditions.Select(c => c.Name));
        Assert.Equal(5, e.Budget.MaxCostUsd);
        Assert.Equal(14, e.Conditions[0].Line);
    }

    [Theory]
    [InlineData("persona: { kind: persona, model: \"openai:gpt-4o-mini\", temperature: 0.7 }", "persona: { kind: personna, model: \"openai:gpt-4o-mini\" }",
        "exp.yaml:7: simulators.persona.kind: unknown kind 'personna' (expected persona, instructed, replay, retrieval, prompt-file, gated)")]
    [InlineData("- { simulator: replay, instrument: learned }", "- { simulator: replay, instrument: lerned }",
        "exp.yaml:17: conditions[3].instrument: unknown instrument 'lerned' (declared: learned, judge)")]
    [InlineData("budget: { max_cost_usd: 5 }", "budget: { max_cost_usd: five }", "exp.yaml:18: budget.max_cost_usd: 'five' is not a number")]
    [InlineData("probes: { positions: [0.3, 0.6, 0.9], skip_greeting: true }", "probes: { positions: [0.3, 60, 0.9] }", "exp.yaml:3: probes.positions[1]: 60 is outside (0, 1]")]
    [InlineData("judge: { kind: llm, model: \"openai:gpt-4o-mini\", temperature: 0 }", "judge: { kind: llm, temprature: 0 }", "exp.yaml:11: instruments.judge.temprature: unknown key")]
    [InlineData("replay: { kind: replay }", "replay: { kind: replay, model: x }", "exp.yaml:5: simulators.replay.model: unknown key")]
    [InlineData("corpus: p4g.jsonl", "corpus: missing.jsonl", "exp.yaml:1: corpus: corpus file not found")]
    public void Parse_Error_NamesFileLineAndKey(string from, string to, string expectedStart)
    {
        var dir = Folder();
        var text = Valid.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(Valid, text);
        var ex = Assert.Throws<DfidException>(() => ExperimentParser.Parse(text, Path.Combine(dir, "exp.yaml")));
        Assert.StartsWith(expectedStart, ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, ex.ExitCode);
    }

    [Fact]
    public void Parse_MissingModelForPersona_NamesKey()
    {
        var dir = Folder();
        var text = Valid.Replace("persona: { kind: persona, model: \"openai:gpt-4o-mini\", temperature: 0.7 }", "persona: { kind: persona }", StringComparison.Ordinal);
        var ex = Assert.Throws<DfidException>(() => ExperimentParser.Parse(text, Path.Combine(dir, "exp.yaml")));
        Assert.StartsWith("exp.yaml:7: simulators.persona.model: missing required key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_InvalidYaml_NamesLine()
    {
        var dir = Folder();
        var ex = Assert.Throws<DfidException>(() => ExperimentParser.Parse("corpus: p4g.jsonl\nsimulators: [\n  bad: {", Path.Combine(dir, "exp.yaml")));
        Assert.StartsWith("exp.yaml:", ex.Message, StringComparison.Ordinal);
        Assert.Contains("invalid YAML", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RelativePathsResolveAgainstTheFileFolder()
    {
        var dir = Folder();
        File.WriteAllText(Path.Combine(dir, "my.prompt"), "{history}");
        var text = "corpus: p4g.jsonl\nsimulators:\n  mine: { kind: prompt-file, prompt: my.prompt, model: \"openai:x\" }\ninstruments:\n  l: { kind: learned }\nconditions:\n  - { simulator: mine, instrument: l }\nprobes: { positions: all }\n";
        var e = ExperimentParser.Parse(text, Path.Combine(dir, "exp.yaml"));
        Assert.Equal(Path.Combine(dir, "my.prompt"), e.Simulators["mine"].Options["prompt"]);
        Assert.Null(e.Probes.Positions);
        Assert.Null(e.Sample);
    }

    [Theory]
    [InlineData("domain: negotiation", "negotiation", "negotiator", "counterpart", "agree to the deal")]
    [InlineData("domain: purchase", "sales", "salesperson", "customer", "buy")]
    [InlineData("domain: { preset: fundraising, decision: giving blood }", "fundraising+custom", "persuader", "persuadee", "donate")]
    [InlineData("domain: { agent: an estate agent, user_role: tenant, commit_verb: sign the lease }", "custom", "estate agent", "tenant", "sign the lease")]
    public void Parse_Domain_PresetOrWordsOverAPreset(string line, string name, string agentRole, string userRole, string commitVerb)
    {
        var dir = Folder();
        var e = ExperimentParser.Parse(Valid + "\n" + line + "\n", Path.Combine(dir, "exp.yaml"));
        Assert.Equal((name, agentRole, userRole, commitVerb), (e.Domain!.Name, e.Domain.AgentRole, e.Domain.UserRole, e.Domain.CommitVerb));
    }

    [Fact]
    public void Parse_NoDomain_LeftToTheCorpus()
    {
        var e = ExperimentParser.Parse(Valid, Path.Combine(Folder(), "exp.yaml"));
        Assert.Null(e.Domain);
        Assert.Equal(Domain.PersuasionForGood, Domain.ForDataset("PersuasionForGood"));
        Assert.Equal(Domain.Sales, Domain.ForDataset("salestalk-ja"));
    }

    [Theory]
    [InlineData("domain: retail", "exp.yaml:19: domain: unknown preset 'retail'")]
    [InlineData("domain: { agent: x, buyer: y }", "exp.yaml:19: domain.buyer: unknown key")]
    public void Parse_BadDomain_NamesLineAndKey(string line, string expectedStart)
    {
        var ex = Assert.Throws<DfidException>(() => ExperimentParser.Parse(Valid + "\n" + line + "\n", Path.Combine(Folder(), "exp.yaml")));
        Assert.StartsWith(expectedStart, ex.Message, StringComparison.Ordinal);
    }

    private const string Rollouts = """
        agents:
          seller: { kind: llm, model: "openai:gpt-4o-mini" }
          real: { kind: replay }
        rollouts: { start: 0.6, max_user_turns: 12, samples: 3 }
        exit_channel: on
        """;

    [Fact]
    public void Parse_RolloutsAgentsExits_ReadEverything()
    {
        var text = Valid.Replace("probes: { positions: [0.3, 0.6, 0.9], skip_greeting: true }", "probes: { positions: [0.3, 0.6, 0.9], exits: true }", StringComparison.Ordinal)
            .Replace("  - { simulator: replay, instrument: learned }", "  - { simulator: replay, instrument: learned }\n  - { simulator: persona, instrument: judge, mode: rollout, agent: seller }", StringComparison.Ordinal)
            + "\n" + Rollouts;
        var e = ExperimentParser.Parse(text, Path.Combine(Folder(), "exp.yaml"));
        Assert.True(e.Probes.Exits);
        Assert.Equal(new RolloutOptions(0.6, 12, 3), e.Rollouts);
        Assert.Equal(ExitChannel.On, e.ExitChannel);
        Assert.Equal(["seller", "real"], e.Agents.Keys);
        Assert.Equal("llm", e.Agents["seller"].Kind);
        var rollout = e.Conditions.Single(c => c.Mode == ConditionMode.Rollout);
        Assert.Equal(("persona+seller", "seller"), (rollout.Name, rollout.Agent));
        // A rollout condition does not rename the probe conditions of its simulator.
        Assert.Contains(e.Conditions, c => c.Name == "persona" && c.Mode == ConditionMode.Probe);
    }

    [Theory]
    [InlineData("mode: rollout, agent: nobody", "unknown agent 'nobody' (declared: seller, real)")]
    [InlineData("mode: rollout", "conditions[4].agent: missing required key")]
    [InlineData("agent: seller", "conditions[4].agent: an agent takes part in rollouts only")]
    [InlineData("mode: freestyle", "conditions[4].mode: unknown mode 'freestyle'")]
    public void Parse_BadRolloutCondition_NamesTheProblem(string extra, string expected)
    {
        var text = Valid.Replace("  - { simulator: replay, instrument: learned }", "  - { simulator: replay, instrument: learned }\n  - { simulator: persona, instrument: judge, " + extra + " }", StringComparison.Ordinal)
            + "\n" + Rollouts;
        var ex = Assert.Throws<DfidException>(() => ExperimentParser.Parse(text, Path.Combine(Folder(), "exp.yaml")));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rollouts: { start: 0 }", "rollouts.start: 0 is outside (0, 1]")]
    [InlineData("rollouts: { samples: 0 }", "rollouts.samples: 0 is too small")]
    [InlineData("exit_channel: maybe", "exit_channel: 'maybe' is not auto, on or off")]
    [InlineData("agents:\n  x: { kind: telepathic }", "agents.x.kind: unknown kind 'telepathic' (expected llm, prompt-file, retrieval, replay)")]
    public void Parse_BadWalkAwaySettings_NamesTheKey(string line, string expected)
    {
        var ex = Assert.Throws<DfidException>(() => ExperimentParser.Parse(Valid + "\n" + line + "\n", Path.Combine(Folder(), "exp.yaml")));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
