using System.Collections.Immutable;
using System.Text.Json;
using Dfid.Corpus;
using Dfid.Instrument;

namespace Dfid.Tests.Instrument;

public sealed class ActMappingTests
{
    private static readonly ActMapping P4G = ActMapping.PersuasionForGood;

    [Theory]
    [InlineData("disagree-donation", Stage.Resisting)]
    [InlineData("ask-org-info", Stage.Exploring)]
    [InlineData("positive-reaction-to-donation", Stage.Engaging)]
    [InlineData("ask-donation-procedure", Stage.Considering)]
    [InlineData("provide-donation-amount", Stage.Deciding)]
    [InlineData("agree-donation", Stage.Deciding)]
    [InlineData("positive-reaction-to-donation|ask-donation-procedure", Stage.Considering)]
    [InlineData("positive-reaction-to-donation|ask-org-info", Stage.Engaging)]
    [InlineData("negative-reaction-to-donation|agree-donation", Stage.Deciding)]
    [InlineData("acknowledgement|negative-reaction-to-donation", Stage.Resisting)]
    [InlineData("agree-donation|disagree-donation-more", Stage.Deciding)]
    [InlineData(" Ask-Org-Info ", Stage.Exploring)]
    public void StageOf_IssueExamplesAndTurnRule(string acts, Stage expected) =>
        Assert.Equal(expected, P4G.StageOf(acts));

    [Theory]
    [InlineData("greeting")]
    [InlineData("acknowledgement|thank")]
    [InlineData("")]
    [InlineData(null)]
    public void StageOf_NoDecisionContent_IsNull(string? acts) => Assert.Null(P4G.StageOf(acts));

    [Fact]
    public void StageOf_EqualPriority_LaterActWins()
    {
        // disagree-donation and agree-donation share priority 100: the turn's last word decides.
        Assert.Equal(Stage.Deciding, P4G.StageOf("disagree-donation|agree-donation"));
        Assert.Equal(Stage.Resisting, P4G.StageOf("agree-donation|disagree-donation"));
    }

    [Fact]
    public void StageOf_UnknownAct_IsAnErrorNamingTheActAndFile()
    {
        var ex = Assert.Throws<DfidException>(() => P4G.StageOf("positive-reaction-to-donation|made-up-act"));
        Assert.Contains("made-up-act", ex.Message);
        Assert.Contains("persuasionforgood-acts.yaml", ex.Message);
    }

    [Fact]
    public void Mapping_CoversEveryActIn300Dialog_WithReasoning()
    {
        // Every act the annotators used (read from the real data) must be listed, with reasoning.
        var path = Path.Combine(TestData.PersuasionForGood, "300_dialog.csv");
        var header = File.ReadLines(path).First().Split(',');
        int Col(string n) => Array.IndexOf(header, n);
        int ee1 = Col("ee_label_1"), ee2 = Col("ee_label_2"), er1 = Col("er_label_1"), er2 = Col("er_label_2");
        var eeActs = new HashSet<string>();
        var erActs = new HashSet<string>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            // Label columns never contain commas; split from the right so commas in the text do not matter.
            var cells = line.Split(',');
            var offset = cells.Length - header.Length; // extra cells come from commas inside the quoted text
            string Cell(int c) => cells[c + offset];
            foreach (var c in new[] { ee1, ee2 }) if (Cell(c).Length > 0) eeActs.Add(ActMapping.Normalise(Cell(c)));
            foreach (var c in new[] { er1, er2 }) if (Cell(c).Length > 0) erActs.Add(ActMapping.Normalise(Cell(c)));
        }
        Assert.True(eeActs.Count >= 20, $"only {eeActs.Count} persuadee acts read");
        Assert.All(eeActs, a => Assert.True(P4G.StageActs.ContainsKey(a), $"persuadee act '{a}' missing"));
        Assert.All(erActs, a => Assert.True(P4G.ActionActs.ContainsKey(a), $"persuader act '{a}' missing"));
        Assert.All(P4G.StageActs.Values, r => Assert.False(string.IsNullOrWhiteSpace(r.Reasoning)));
        Assert.All(P4G.ActionActs.Values, r => Assert.False(string.IsNullOrWhiteSpace(r.Reasoning)));
    }

    [Fact]
    public void ActionOfTurn_PitchAfterResisting_IsHandleObjection()
    {
        var c = Conv(
            (Role.Agent, "er_act", "greeting|source-related-inquiry"),
            (Role.User, "ee_act", "disagree-donation"),
            (Role.Agent, "er_act", "credibility-appeal"),
            (Role.User, "ee_act", "ask-org-info"),
            (Role.Agent, "er_act", "credibility-appeal|proposition-of-donation"),
            (Role.User, "ee_act", "positive-reaction-to-donation"),
            (Role.Agent, "er_act", "logical-appeal"));
        Assert.Equal(AgentAction.Probe, P4G.ActionOfTurn(c, 0));
        Assert.Equal(AgentAction.HandleObjection, P4G.ActionOfTurn(c, 2));
        Assert.Equal(AgentAction.PushClose, P4G.ActionOfTurn(c, 4));
        Assert.Equal(AgentAction.Pitch, P4G.ActionOfTurn(c, 6));
        Assert.Null(P4G.ActionOfTurn(c, 1));
        Assert.Equal(Stage.Resisting, P4G.StageOfTurn(c, 1));
    }

    [Fact]
    public void StageOfTurn_UnknownAct_NamesConversationAndTurn()
    {
        var c = Conv((Role.Agent, "er_act", "greeting"), (Role.User, "ee_act", "bogus"));
        var ex = Assert.Throws<DfidException>(() => P4G.StageOfTurn(c, 1));
        Assert.Contains("conversation c1, turn 1", ex.Message);
    }

    [Fact]
    public void Parse_MissingReasoning_IsRejected()
    {
        const string yaml = "format: dfid.act-mapping/1\nstage_label_set: x\nstage_acts:\n  - act: a\n    stage: resisting\n    priority: 1\n";
        var ex = Assert.Throws<DfidException>(() => ActMapping.Parse(yaml, "mine.yaml"));
        Assert.Contains("act 'a' has no reasoning", ex.Message);
    }

    [Fact]
    public void Parse_PriorityNotANumber_NamesLineAndKey()
    {
        const string yaml = "format: dfid.act-mapping/1\nstage_label_set: x\nstage_acts:\n  - act: a\n    stage: resisting\n    priority: high\n    reasoning: r\n";
        var ex = Assert.Throws<DfidException>(() => ActMapping.Parse(yaml, "mine.yaml"));
        Assert.Equal("mine.yaml:6: stage_acts.priority: 'high' is not a whole number", ex.Message);
    }

    [Fact]
    public void Parse_NullTarget_MeansNoStage()
    {
        const string yaml = "format: dfid.act-mapping/1\nstage_label_set: x\nstage_acts:\n  - act: a\n    stage: null\n    reasoning: r\n  - act: b\n    stage: ~\n    reasoning: r\n";
        var m = ActMapping.Parse(yaml, "mine.yaml");
        Assert.Null(m.StageActs["a"].Target);
        Assert.Null(m.StageActs["b"].Target);
        Assert.Null(m.StageOf("a|b"));
    }

    [Theory]
    [InlineData("Would you like to donate?", "I would like to donate $0.", "provide-donation-amount", Stage.Resisting)]
    [InlineData("How much would you like to give?", "I'll donate 0", "provide-donation-amount", Stage.Resisting)]
    [InlineData("Would you donate some of your payment?", "No, I won't give anything.", "agree-donation", Stage.Resisting)]
    [InlineData("So that's $0 then?", "Yes, that's right.", "confirm-donation", Stage.Resisting)]
    [InlineData("How much would you like to give?", "I'll donate $0.50.", "provide-donation-amount", Stage.Deciding)]
    [InlineData("Would $2.00 be too much to ask?", "No, I can do it.", "agree-donation", Stage.Deciding)]
    [InlineData("You can choose any amount from $0 to all of your payment.", "Ok I will donate some", "agree-donation", Stage.Deciding)]
    [InlineData("You can choose any amount from $0 to all of your payment.", "Yes.", "confirm-donation", Stage.Deciding)]
    [InlineData("So you'd like to donate $0.20?", "Yes, that's right.", "confirm-donation", Stage.Deciding)]
    [InlineData("Would you like to donate?", "I'd rather not, thanks.", "positive-reaction-to-donation", Stage.Engaging)]
    public void StageOfTurn_CommitmentRules_ReadTheAmountAndTheRefusal(string agent, string user, string acts, Stage expected)
    {
        var c = Said((Role.Agent, agent, "er_act", "proposition-of-donation"), (Role.User, user, "ee_act", acts));
        Assert.Equal(expected, P4G.StageOfTurn(c, 1));
    }

    [Fact]
    public void StageOfTurn_ZeroAmountWithAPositiveOne_StaysDeciding()
    {
        // The refusal of more and the amount in one turn: the amount is the commitment.
        var c = Said((Role.Agent, "How about $1?", "er_act", "ask-donation-amount"),
            (Role.User, "No, I can't do more, $0.25 is the most I can give.", "ee_act", "disagree-donation-more|provide-donation-amount"));
        Assert.Equal(Stage.Deciding, P4G.StageOfTurn(c, 1));
    }

    [Fact]
    public void Parse_CommitmentRules_AreReadAndChecked()
    {
        const string head = "format: dfid.act-mapping/1\nstage_label_set: x\nstage_acts:\n  - act: give\n    stage: deciding\n    priority: 1\n    reasoning: r\n";
        var m = ActMapping.Parse(head + "commitment_rules:\n  - acts: [Give]\n    when: refusal\n    stage: resisting\n    reasoning: zero is no gift\n", "mine.yaml");
        var rule = Assert.Single(m.CommitmentRules);
        Assert.Equal(["give"], rule.Acts.ToArray());
        Assert.Equal(CommitmentCondition.Refusal, rule.When);
        Assert.Equal(Stage.Resisting, rule.Stage);

        var ex = Assert.Throws<DfidException>(() => ActMapping.Parse(
            head + "commitment_rules:\n  - acts: [take]\n    when: sometimes\n    stage: maybe\n", "mine.yaml"));
        Assert.Contains("act 'take' is not in stage_acts", ex.Message);
        Assert.Contains("when 'sometimes' is not one of refusal, confirms-zero", ex.Message);
        Assert.Contains("unknown stage 'maybe'", ex.Message);
        Assert.Contains("no reasoning", ex.Message);
        Assert.Contains("mine.yaml", ex.Message);
    }

    [Fact]
    public void StageOfTurn_MappingWithoutRules_IsTheActsAlone()
    {
        const string yaml = "format: dfid.act-mapping/1\nstage_label_set: ee_act\nstage_acts:\n  - act: provide-donation-amount\n    stage: deciding\n    priority: 1\n    reasoning: r\n";
        var m = ActMapping.Parse(yaml, "mine.yaml");
        var c = Said((Role.Agent, "How much?", "er_act", "x"), (Role.User, "I'll donate $0.", "ee_act", "provide-donation-amount"));
        Assert.Equal(Stage.Deciding, m.StageOfTurn(c, 1));
    }

    internal static Conversation Said(params (Role Role, string Text, string Key, string Acts)[] turns) =>
        new("c1",
            [.. turns.Select(t => new Turn(t.Role, t.Text, null, ImmutableSortedDictionary<string, string>.Empty.Add(t.Key, t.Acts)))],
            new Outcome(false),
            ImmutableSortedDictionary<string, JsonElement>.Empty,
            new CorpusSource("persuasionforgood"),
            ImmutableSortedDictionary<string, JsonElement>.Empty);

    internal static Conversation Conv(params (Role Role, string Key, string Acts)[] turns) =>
        new("c1",
            [.. turns.Select((t, i) => new Turn(t.Role, $"turn {i}", null,
                ImmutableSortedDictionary<string, string>.Empty.Add(t.Key, t.Acts)))],
            new Outcome(false),
            ImmutableSortedDictionary<string, JsonElement>.Empty,
            new CorpusSource("persuasionforgood"),
            ImmutableSortedDictionary<string, JsonElement>.Empty);
}
