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
