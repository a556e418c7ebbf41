using Dfid.Corpus;
using Dfid.Instrument;

namespace Dfid.Tests.Instrument;

public sealed class InstrumentValidationTests
{
    /// <summary>Answers a fixed stage per (conversation, turn); fails where told. A double: the test is about the validation logic.</summary>
    private sealed class ScriptedInstrument(Func<LabelRequest, Answer<DecisionState>> answer) : IInstrument
    {
        public string Name => "scripted";

        public Task<Answer<DecisionState>> LabelAsync(LabelRequest request, CancellationToken cancellationToken = default) => Task.FromResult(answer(request));
    }

    [Fact]
    public async Task RunAsync_PerfectInstrumentWithOneFailure_FailureCountedAndLeftOut()
    {
        var corpus = LearnedInstrumentTests.Corpus();
        var mapping = ActMapping.PersuasionForGood;
        var instrument = new ScriptedInstrument(r => r.Conversation.Id == "c1" && r.TurnIndex == 1
            ? Answer<DecisionState>.Failed(AnswerStatus.InvalidAnswer, "bad json")
            : Answer<DecisionState>.Ok(new DecisionState(mapping.StageOfTurn(r.Conversation, r.TurnIndex)!.Value)));

        var report = await InstrumentValidation.RunAsync(corpus, instrument, mapping, new InstrumentValidationOptions { Resamples = 100 });

        Assert.Equal(24, report.N);
        Assert.Equal(1, report.Failures);
        Assert.Contains("conversation c1, turn 1: InvalidAnswer: bad json", report.FailureExamples[0]);
        Assert.Equal(1.0, report.Accuracy);
        Assert.Equal(1.0, report.KappaQuadratic, 12);
        Assert.Equal(1.0, report.KrippendorffAlphaOrdinal, 12);
        Assert.Equal([1.0, 1.0], report.Ci.KappaQuadratic);
        Assert.False(report.OutOfFold);
        Assert.Equal(0, report.UserTurnsWithoutStage);
        // Baseline: the human majority (exploring: 5 vs resisting 4 after the failure) for every turn.
        Assert.Equal("exploring", report.BaselineStage);
        Assert.Equal(5.0 / 24, report.Baseline.Accuracy, 12);
        Assert.Equal(0.0, report.Baseline.KappaQuadratic, 12);
    }

    /// <summary>A greeting and nine user turns; the probes at 0.3, 0.6 and 0.9 are user turns 3, 6 and 9 after the
    /// greeting (turn indices 7, 13 and 19). <paramref name="at60"/> is the act of the 60% probe; every other user
    /// turn is ask-org-info (exploring).</summary>
    private static Conversation Probed(string id, bool? converted, string at60)
    {
        var turns = new List<Turn>();
        for (var u = 0; u < 10; u++)
        {
            turns.Add(new Turn(Role.Agent, $"agent {u}"));
            var acts = u == 0 ? "greeting" : u == 6 ? at60 : "ask-org-info";
            turns.Add(new Turn(Role.User, $"user {u}", null, System.Collections.Immutable.ImmutableSortedDictionary<string, string>.Empty.Add("ee_act", acts)));
        }
        return LearnedInstrumentTests.Make(id, []) with { Turns = [.. turns], Outcome = new Outcome(converted) };
    }

    [Fact]
    public async Task RunAsync_OutcomeSignal_HumanAndInstrumentOnTheSameProbedTurns()
    {
        // Non-converters resist at 60% in 3 of 4 (human), converters in 1 of 4; one conversation has no outcome.
        var corpus = new List<Conversation>
        {
            Probed("n1", false, "disagree-donation"), Probed("n2", false, "disagree-donation"), Probed("n3", false, "negative-reaction-to-donation"),
            Probed("n4", false, "ask-donation-procedure"), Probed("y1", true, "disagree-donation"), Probed("y2", true, "agree-donation"),
            Probed("y3", true, "positive-reaction-to-donation"), Probed("y4", true, "ask-org-info"), Probed("u1", null, "disagree-donation"),
        };
        // The instrument sees two of the three non-converter refusals, puts y1's refusal at deciding and everything else at engaging.
        var instrument = new ScriptedInstrument(r => Answer<DecisionState>.Ok(new DecisionState(
            r.TurnIndex != 13 ? Stage.Engaging : r.Conversation.Id switch
            {
                "n1" or "n2" or "u1" => Stage.Resisting,
                "y1" => Stage.Deciding,
                _ => Stage.Engaging,
            })));

        var report = await InstrumentValidation.RunAsync(corpus, instrument, ActMapping.PersuasionForGood,
            new InstrumentValidationOptions { Resamples = 20 });

        Assert.Equal([0.3, 0.6, 0.9], report.OutcomeSignal.Select(s => s.Position));
        var at60 = report.OutcomeSignal[1];
        Assert.Equal((4, 4), (at60.Human.NotConverted, at60.Human.Converted));
        Assert.Equal(0.75, at60.Human.ResistingNotConverted, 12);
        Assert.Equal(0.25, at60.Human.ResistingConverted, 12);
        Assert.Equal(0.5, at60.Human.ResistingDifference, 12);
        Assert.Equal(0.5, at60.Instrument.ResistingNotConverted, 12);
        Assert.Equal(0.0, at60.Instrument.ResistingConverted, 12);
        Assert.Equal(1.0, at60.KeptShare, 12);
        Assert.Equal(Dfid.Analysis.Statistics.HypothesisTests.FisherExactTwoSided(3, 1, 1, 3), at60.Human.FisherP, 12);
        // Depths at 60%: human non-converters 0,0,0,3 vs converters 0,4,2,1; instrument 0,0,2,2 vs 4,2,2,2.
        Assert.Equal(0.75, at60.Human.MeanDepthNotConverted, 12);
        Assert.Equal(1.75, at60.Human.MeanDepthConverted, 12);
        Assert.Equal(1.0, at60.Instrument.MeanDepthNotConverted, 12);
        Assert.Equal(2.5, at60.Instrument.MeanDepthConverted, 12);
        Assert.Equal(Dfid.Analysis.Statistics.OutcomeContrast.AreaUnderCurve([0, 0, 2, 2], [4, 2, 2, 2]), at60.Instrument.DepthAuc, 12);
        // At 30% every turn is exploring by the humans and engaging by the instrument: no difference to keep.
        Assert.Equal(0.0, report.OutcomeSignal[0].Human.ResistingDifference);
        Assert.True(double.IsNaN(report.OutcomeSignal[0].KeptShare));
        // Refusal check over all scored turns: u1, n1, n2, n3 and y1 are human-resisting; y1 went to deciding.
        Assert.Equal(5, report.Refusals.HumanResisting);
        Assert.Equal(1, report.Refusals.AtDeciding);
        Assert.Equal(0.2, report.Refusals.Share, 12);
        Assert.Null(report.Calibration); // a scripted instrument has no probabilities
        var json = report.ToJson();
        Assert.Contains("\"outcome_signal\"", json);
        Assert.Contains("\"resisting_not_converted\": 0.75", json);
        Assert.Contains("\"kept_share\": null", json);
        Assert.Contains("\"refusals\"", json);
    }

    [Fact]
    public async Task RunAsync_CorpusWithoutLabels_IsAUserError()
    {
        var corpus = LearnedInstrumentTests.Corpus().Select(c => c with
        {
            Turns = [.. c.Turns.Select(t => t with { Annotations = null })],
        }).ToList();
        var ex = await Assert.ThrowsAsync<DfidException>(() => InstrumentValidation.RunAsync(corpus,
            new ScriptedInstrument(_ => Answer<DecisionState>.Ok(new DecisionState(Stage.Engaging))), ActMapping.PersuasionForGood));
        Assert.Contains("ee_act", ex.Message);
    }

    [Fact]
    public async Task RunAsync_ThrowingInstrument_BecomesFailureData()
    {
        var instrument = new ScriptedInstrument(r => r.TurnIndex == 3 ? throw new InvalidOperationException("boom") : Answer<DecisionState>.Ok(new DecisionState(Stage.Engaging)));
        var report = await InstrumentValidation.RunAsync(LearnedInstrumentTests.Corpus(), instrument, ActMapping.PersuasionForGood,
            new InstrumentValidationOptions { Resamples = 50 });
        Assert.Equal(5, report.Failures);
        Assert.Equal(20, report.N);
        Assert.Contains("boom", report.FailureExamples[0]);
    }
}
