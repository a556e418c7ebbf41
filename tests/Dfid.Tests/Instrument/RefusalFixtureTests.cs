using Dfid.Corpus;
using Dfid.Instrument;

namespace Dfid.Tests.Instrument;

/// <summary>
/// Fixtures/instrument/refusals.jsonl: refusals written for issue 18 ("no thanks", "$0", "not today", "I'd rather not",
/// a yes to "you are donating $0?", ...), each in a realistic context, most right after the persuader asks for the
/// donation. None may be read as a commitment: not by the act mapping, not by the learned instrument.
/// </summary>
public sealed class RefusalFixtureTests(MiniLmFixture miniLm) : IClassFixture<MiniLmFixture>
{
    private static readonly IReadOnlyList<Conversation> Refusals = CorpusFile.ReadAll(TestData.Fixture("instrument", "refusals.jsonl"));

    private static List<(Conversation C, int Turn)> RefusalTurns() =>
        [.. Refusals.SelectMany(c => Enumerable.Range(0, c.Turns.Length)
            .Where(i => c.Turns[i].Role == Role.User && c.Turns[i].Annotations?.ContainsKey("ee_act") == true)
            .Select(i => (c, i)))];

    [Fact]
    public void Fixture_EveryAnnotatedTurnRefuses_InTheCues()
    {
        var turns = RefusalTurns();
        Assert.True(turns.Count >= 20, $"only {turns.Count} refusal turns");
        Assert.Contains(turns, t => t.C.Turns[t.Turn - 1].Text.Contains("donate", StringComparison.OrdinalIgnoreCase)); // right after an ask
        foreach (var (c, i) in turns)
            Assert.True(CommitmentCues.Refuses(c.Turns[i].Text, c.Turns[i - 1].Text), $"{c.Id} turn {i}: \"{c.Turns[i].Text}\"");
    }

    [Fact]
    public void ActMapping_MapsEveryRefusalToResisting_WhateverTheAct()
    {
        // Several turns carry provide-donation-amount or confirm-donation: "$0", "I'll donate 0", a yes to "$0?".
        var turns = RefusalTurns();
        Assert.Contains(turns, t => t.C.Turns[t.Turn].Annotations!["ee_act"] == "provide-donation-amount");
        Assert.Contains(turns, t => t.C.Turns[t.Turn].Annotations!["ee_act"] == "confirm-donation");
        foreach (var (c, i) in turns)
            Assert.Equal(Stage.Resisting, ActMapping.PersuasionForGood.StageOfTurn(c, i));
    }

    [Fact]
    public async Task LearnedInstrument_NeverLabelsARefusalDeciding()
    {
        var instrument = await LearnedInstrument.LoadOrTrainAsync(new LearnedInstrumentOptions { CacheDirectory = TestData.TempDir() },
            LearnedInstrumentTests.Corpus(), miniLm.Embedder);
        var turns = RefusalTurns();
        var results = await instrument.LabelManyAsync([.. turns.Select(t => new LabelRequest(t.C, t.Turn))]);
        Assert.All(results, r => Assert.Equal(AnswerStatus.Ok, r.Status));
        for (var k = 0; k < turns.Count; k++)
            Assert.True(results[k].Value!.Stage != Stage.Deciding, $"{turns[k].C.Id}: \"{turns[k].C.Turns[turns[k].Turn].Text}\" labelled deciding");

        // The same through validate: its refusal check counts them.
        var report = await InstrumentValidation.RunAsync(Refusals, instrument, ActMapping.PersuasionForGood,
            new InstrumentValidationOptions { Resamples = 50 });
        Assert.Equal(turns.Count, report.Refusals.HumanResisting);
        Assert.Equal(0, report.Refusals.AtDeciding);
        Assert.False(report.OutOfFold); // the fixture's conversations are not training conversations
    }
}
