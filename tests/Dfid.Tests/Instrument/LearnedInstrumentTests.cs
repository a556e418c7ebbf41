using System.Collections.Immutable;
using System.Text.Json;
using Dfid.Corpus;
using Dfid.Embeddings;
using Dfid.Instrument;
using Dfid.Instrument.Learned;

namespace Dfid.Tests.Instrument;

/// <summary>Shared MiniLM behind a memory cache (loading and embedding once keeps the area fast).</summary>
public sealed class MiniLmFixture : IDisposable
{
    private readonly MiniLmEmbedder _miniLm = new();

    public MiniLmFixture() => Embedder = new CachingTextEmbedder(_miniLm);

    public CachingTextEmbedder Embedder { get; }

    public void Dispose()
    {
        Embedder.Dispose();
        _miniLm.Dispose();
    }
}

public sealed class LearnedInstrumentTests(MiniLmFixture miniLm) : IClassFixture<MiniLmFixture>
{
    // Persuadee lines with their acts, five per stage, so that a few conversations teach every stage.
    private static readonly (string Text, string Acts)[][] Lines =
    [
        [("No, I don't want to donate.", "disagree-donation"), ("I'm not interested in giving money.", "disagree-donation"),
         ("I don't trust charities like that.", "negative-reaction-to-donation"), ("No thanks, I will keep my money.", "disagree-donation"),
         ("Sorry, I won't be donating today.", "disagree-donation")],
        [("What does the charity do?", "ask-org-info"), ("Where is Save the Children based?", "ask-org-info"),
         ("What countries do they work in?", "ask-org-info"), ("Tell me more about the organization.", "ask-org-info"),
         ("How long have they existed?", "ask-org-info")],
        [("That sounds like a wonderful cause.", "positive-reaction-to-donation"), ("I love that they help kids.", "positive-reaction-to-donation"),
         ("Children deserve that kind of help.", "positive-reaction-to-donation"), ("It's great that someone does this work.", "positive-reaction-to-donation"),
         ("Yes, I have kids myself, it touches me.", "positive-to-inquiry")],
        [("How would I donate?", "ask-donation-procedure"), ("How does the donation get to them?", "ask-donation-procedure"),
         ("How much do people usually give?", "ask-donation-procedure"), ("Would it come out of my task payment?", "ask-donation-procedure"),
         ("Are you going to donate as well?", "ask-persuader-donation-intention")],
        [("I'll donate $1.", "agree-donation|provide-donation-amount"), ("Okay, put me down for 50 cents.", "provide-donation-amount"),
         ("Yes, I confirm my donation of $0.50.", "confirm-donation"), ("I will donate all of my payment.", "agree-donation"),
         ("Sure, I'll give two dollars.", "provide-donation-amount")],
    ];

    internal static Conversation Make(string id, IEnumerable<(string Text, string Acts)> userTurns)
    {
        var turns = ImmutableArray.CreateBuilder<Turn>();
        var n = 0;
        foreach (var (text, acts) in userTurns)
        {
            turns.Add(new Turn(Role.Agent, n == 0 ? "Hello! Have you heard of Save the Children?" : "Would you consider a donation to Save the Children?",
                null, ImmutableSortedDictionary<string, string>.Empty.Add("er_act", n == 0 ? "greeting|source-related-inquiry" : "proposition-of-donation")));
            turns.Add(new Turn(Role.User, text, null, ImmutableSortedDictionary<string, string>.Empty.Add("ee_act", acts)));
            n++;
        }
        return new Conversation(id, turns.ToImmutable(), new Outcome(false), ImmutableSortedDictionary<string, JsonElement>.Empty,
            new CorpusSource("test"), ImmutableSortedDictionary<string, JsonElement>.Empty);
    }

    /// <summary>Five conversations; conversation k holds the k-th line of every stage, in stage order.</summary>
    internal static List<Conversation> Corpus() =>
        Enumerable.Range(0, 5).Select(k => Make($"c{k}", Lines.Select(stage => stage[k]))).ToList();

    private static LearnedInstrumentOptions Options(string dir, List<string>? log = null) => new()
    {
        CacheDirectory = dir,
        Folds = 5,
        MaxIterations = 200,
        Progress = log is null ? null : new SyncProgress(log),
    };

    [Fact]
    public async Task LoadOrTrain_SecondCall_LoadsCachedModel_AndChangedDataRetrains()
    {
        var dir = TestData.TempDir();
        var log = new List<string>();
        var first = await LearnedInstrument.LoadOrTrainAsync(Options(dir, log), Corpus(), miniLm.Embedder);
        Assert.Single(Directory.GetFiles(dir, "learned-stage-*.json"));
        Assert.Contains(log, l => l.StartsWith("training", StringComparison.Ordinal));
        Assert.Equal(25, first.TrainingExamples);
        Assert.Equal(5, first.TrainingConversations);

        log.Clear();
        var second = await LearnedInstrument.LoadOrTrainAsync(Options(dir, log), Corpus(), miniLm.Embedder);
        Assert.Equal(first.TrainingHash, second.TrainingHash);
        Assert.Contains(log, l => l.Contains("loaded from", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.StartsWith("training", StringComparison.Ordinal));

        var changed = Corpus();
        changed[0] = Make("c0", Lines.Select(s => s[0]).Select((l, i) => i == 0 ? (l.Text, "ask-org-info") : l));
        var third = await LearnedInstrument.LoadOrTrainAsync(Options(dir), changed, miniLm.Embedder);
        Assert.NotEqual(first.TrainingHash, third.TrainingHash);
        Assert.Equal(2, Directory.GetFiles(dir, "learned-stage-*.json").Length);
    }

    [Fact]
    public async Task Label_TrainingConversation_UsesTheFoldModelThatExcludedIt_ForRealAndSimulatedText()
    {
        var corpus = Corpus();
        var instrument = await LearnedInstrument.LoadOrTrainAsync(Options(TestData.TempDir()), corpus, miniLm.Embedder);
        var folds = LearnedTrainer.AssignFolds(corpus.Select(c => "test/" + c.Id), 5);
        Assert.Equal(5, folds.Values.Distinct().Count()); // one conversation per fold

        var c2 = corpus[2];
        Assert.True(instrument.IsTrainingConversation(c2));
        var real = await instrument.LabelAsync(new LabelRequest(c2, 3));
        var simulated = await instrument.LabelAsync(new LabelRequest(c2, 3, "Hmm, tell me how to pay."));
        Assert.Contains($"\"model\":\"fold-{folds["test/c2"]}\"", real.RawAnswer);
        Assert.Contains($"\"model\":\"fold-{folds["test/c2"]}\"", simulated.RawAnswer);

        // The same turns in a conversation the model never saw go to the full model, which did see this text.
        var stranger = c2 with { Id = "unseen" };
        Assert.False(instrument.IsTrainingConversation(stranger));
        var full = await instrument.LabelAsync(new LabelRequest(stranger, 3));
        Assert.Contains("\"model\":\"full\"", full.RawAnswer);
        Assert.NotEqual(real.RawAnswer, full.RawAnswer);
    }

    [Fact]
    public async Task Label_NewConversation_GetsTheObviousStages()
    {
        var instrument = await LearnedInstrument.LoadOrTrainAsync(Options(TestData.TempDir()), Corpus(), miniLm.Embedder);
        var probe = Make("new", [
            ("No. I do not want to give any money.", "disagree-donation"),
            ("What kind of work does the organization do?", "ask-org-info"),
            ("That's lovely, helping kids is so important.", "positive-reaction-to-donation"),
            ("How exactly would I make the donation?", "ask-donation-procedure"),
            ("I'll donate one dollar.", "provide-donation-amount")]);
        var results = await instrument.LabelManyAsync(Enumerable.Range(0, 5).Select(i => new LabelRequest(probe, 2 * i + 1)).ToList());
        Assert.All(results, r => Assert.Equal(AnswerStatus.Ok, r.Status));
        var stages = results.Select(r => r.Value!.Stage).ToArray();
        var correct = stages.Select((s, i) => s == (Stage)i ? 1 : 0).Sum();
        Assert.True(correct >= 4, "stages: " + string.Join(", ", stages));
    }

    [Fact]
    public async Task LoadOrTrain_TooFewLabelledConversations_IsAUserError()
    {
        var ex = await Assert.ThrowsAsync<DfidException>(() =>
            LearnedInstrument.LoadOrTrainAsync(Options(TestData.TempDir()), Corpus().Take(3).ToList(), miniLm.Embedder));
        Assert.Contains("at least 5", ex.Message);
    }

    [Fact]
    public async Task ActionLabeller_LearnsPersuaderActs_OutOfFold()
    {
        var corpus = Corpus();
        var labeller = await LearnedActionLabeller.LoadOrTrainAsync(Options(TestData.TempDir()), corpus, miniLm.Embedder);
        var greeting = await labeller.LabelAsync(corpus[0] with { Id = "fresh" }, 0);
        var ask = await labeller.LabelAsync(corpus[0] with { Id = "fresh" }, 4);
        Assert.Equal(AgentAction.Probe, greeting.Value);
        Assert.Equal(AgentAction.PushClose, ask.Value);
    }

    private sealed class SyncProgress(List<string> sink) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (sink) sink.Add(value);
        }
    }
}
