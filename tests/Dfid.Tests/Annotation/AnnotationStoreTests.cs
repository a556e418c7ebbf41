using System.Globalization;
using Dfid.Annotation;
using Dfid.Instrument;
using Dfid.Probing;
using Dfid.Store;
using Microsoft.Extensions.Time.Testing;

namespace Dfid.Tests.Annotation;

public sealed class AnnotationStoreTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-03-01T12:00:00Z", CultureInfo.InvariantCulture);

    [Fact]
    public void LabelSkipUndo_ProgressLabelsAndHistoryFollowTheAnnotator()
    {
        var clock = new FakeTimeProvider(Start);
        using var session = AnnotationFixture.NewSession(sample: 6, actions: true, time: clock);
        var store = session.Store;
        var tasks = session.Plan.Tasks;

        var p = store.ReadProgress("ana");
        Assert.Equal((6, 0, 0), (p.Total, p.Labelled, p.Skipped));
        Assert.Equal(tasks[0], p.Next);
        Assert.Null(p.Last);

        Assert.True(store.TryLabel("ana", 1, Stage.Exploring, AgentAction.Probe, out p));
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.True(store.TrySkip("ana", 2, out p));
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.True(store.TryLabel("ana", 3, Stage.Deciding, AgentAction.PushClose, out p));
        Assert.Equal((2, 1, tasks[3]), (p.Labelled, p.Skipped, p.Next));

        // Undo the label of task 3, then the skip of task 2: task 2 is shown again.
        Assert.True(store.TryUndo("ana", p.Last!.Id, out p));
        Assert.Equal(tasks[2], p.Next);
        Assert.Equal(AnnotationEventKind.Skip, p.Last!.Kind);
        Assert.True(store.TryUndo("ana", null, out p));
        Assert.Equal(tasks[1], p.Next);
        Assert.True(store.TryLabel("ana", 2, Stage.Resisting, AgentAction.Pitch, out p));

        var labels = store.ReadLabels();
        Assert.Equal(2, labels.Count);
        Assert.Equal(new HumanLabel(tasks[0].ConversationId, tasks[0].TurnIndex, "ana", Stage.Exploring, AgentAction.Probe, tasks[0].AgentTurnIndex, Start), labels[0]);
        Assert.Equal((tasks[1].ConversationId, tasks[1].TurnIndex, Stage.Resisting), (labels[1].ConversationId, labels[1].TurnIndex, labels[1].Stage));
        Assert.Equal(Start.AddSeconds(10), labels[1].Time);

        // Nothing is lost: 4 answers and 2 undos, each undo naming what it withdrew.
        var history = store.ReadHistory("ana");
        Assert.Equal(
            [AnnotationEventKind.Label, AnnotationEventKind.Skip, AnnotationEventKind.Label, AnnotationEventKind.Undo, AnnotationEventKind.Undo, AnnotationEventKind.Label],
            history.Select(e => e.Kind));
        Assert.Equal(history[2].Id, history[3].Undoes);
        Assert.Equal(history[1].Id, history[4].Undoes);
    }

    [Fact]
    public void TryLabel_NotTheCurrentTask_StoresNothing()
    {
        using var session = AnnotationFixture.NewSession(sample: 4);
        var store = session.Store;
        Assert.True(store.TryLabel("ana", 1, Stage.Engaging, null, out _));
        Assert.False(store.TryLabel("ana", 1, Stage.Resisting, null, out var p)); // a repeated key press
        Assert.False(store.TryLabel("ana", 3, Stage.Resisting, null, out _));     // a stale or forged task
        Assert.False(store.TrySkip("ana", 4, out _));
        Assert.Equal(2, p.Next!.Number);
        Assert.Single(store.ReadHistory());
        Assert.Equal(Stage.Engaging, Assert.Single(store.ReadLabels()).Stage);
    }

    [Fact]
    public void TryUndo_StaleExpectation_OrNothingToUndo_UndoesNothing()
    {
        using var session = AnnotationFixture.NewSession(sample: 4);
        var store = session.Store;
        Assert.False(store.TryUndo("ana", null, out _));
        store.TryLabel("ana", 1, Stage.Engaging, null, out var p);
        var first = p.Last!.Id;
        store.TryLabel("ana", 2, Stage.Considering, null, out _);
        Assert.False(store.TryUndo("ana", first, out p)); // the page thought task 1 was last: a double undo
        Assert.Equal(2, p.Labelled);
        Assert.True(store.TryUndo("ana", p.Last!.Id, out p));
        Assert.Equal(1, p.Labelled);
    }

    [Fact]
    public void Reopen_ResumesEachAnnotatorWhereTheyStopped()
    {
        string path;
        LabellingPlan plan;
        using (var session = AnnotationFixture.NewSession(sample: 8))
        {
            path = session.Store.FilePath;
            plan = session.Plan;
            session.Store.TryLabel("ana", 1, Stage.Engaging, null, out _);
            session.Store.TryLabel("ana", 2, Stage.Deciding, null, out _);
            session.Store.TryLabel("ana", 3, Stage.Exploring, null, out var p);
            session.Store.TryUndo("ana", p.Last!.Id, out _);
            session.Store.TryLabel("ben", 1, Stage.Resisting, null, out _);
        }
        using var store = AnnotationStore.Open(path);
        var reread = store.ReadPlan()!;
        Assert.Equal(plan.Tasks, reread.Tasks);
        Assert.Equal(plan.Strata, reread.Strata);
        Assert.Equal(plan.Identity, reread.Identity);
        Assert.Equal(3, store.ReadProgress("ana").Next!.Number);
        Assert.Equal(2, store.ReadProgress("ben").Next!.Number);
        Assert.Equal(1, store.ReadProgress("cleo").Next!.Number);
        Assert.Equal(["ana", "ben"], store.ReadAnnotators());
        Assert.Equal(3, store.ReadLabels().Count);
        // The stored conversations are the corpus's, so the page can be served without the corpus file.
        var corpus = AnnotationFixture.CorpusById();
        foreach (var (id, c) in store.ReadConversations()) Assert.Equal(CorpusFileLine(corpus[id]), CorpusFileLine(c));
    }

    [Fact]
    public void Open_SomeOtherDatabase_IsRefused()
    {
        var dir = TestData.TempDir();
        using (RunStore.Open(dir)) { }
        var ex = Assert.Throws<DfidException>(() => AnnotationStore.Open(Path.Combine(dir, RunStore.FileName)));
        Assert.Contains("not an annotation store", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Session_SameOptionsResume_DifferentOnesAreRefused()
    {
        using var first = AnnotationFixture.NewSession(sample: 6, seed: 7);
        Assert.True(first.Created);
        first.Store.TryLabel("ana", 1, Stage.Engaging, null, out _);
        var path = first.Store.FilePath;
        first.Store.Dispose();

        AnnotationSessionOptions Options(int? sample = 6, int? seed = 7, bool actions = false, string? corpus = null) => new()
        {
            Corpus = corpus ?? AnnotationFixture.CorpusPath,
            Sample = sample,
            Seed = seed,
            Actions = actions,
            StorePath = path,
        };
        using (var again = AnnotationSession.Open(Options()))
        {
            Assert.False(again.Created);
            Assert.Equal(first.Plan.Tasks, again.Plan.Tasks);
            Assert.Equal(2, again.Store.ReadProgress("ana").Next!.Number);
        }
        using (var resumed = AnnotationSession.Open(Options(sample: null, seed: null)))
            Assert.Equal(first.Plan.Tasks, resumed.Plan.Tasks);

        var seed = Assert.Throws<DfidException>(() => AnnotationSession.Open(Options(seed: 8)));
        Assert.Contains("different labelling session", seed.Message, StringComparison.Ordinal);
        Assert.Contains("--store", seed.Message, StringComparison.Ordinal);
        Assert.Throws<DfidException>(() => AnnotationSession.Open(Options(sample: 7)));
        var actions = Assert.Throws<DfidException>(() => AnnotationSession.Open(Options(sample: null, actions: true)));
        Assert.Contains("without the agent-action task", actions.Message, StringComparison.Ordinal);

        var changed = Path.Combine(TestData.TempDir(), "corpus.jsonl");
        File.WriteAllText(changed, File.ReadAllText(AnnotationFixture.CorpusPath).Replace("desk lamp", "floor lamp", StringComparison.Ordinal));
        var corpus = Assert.Throws<DfidException>(() => AnnotationSession.Open(Options(sample: null, corpus: changed)));
        Assert.Contains("is not the corpus", corpus.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Session_WithoutSampleOnAnEmptyStore_SaysWhatToPass()
    {
        var ex = Assert.Throws<DfidException>(() => AnnotationSession.Open(new AnnotationSessionOptions
        {
            Corpus = AnnotationFixture.CorpusPath,
            StorePath = Path.Combine(TestData.TempDir(), "labels.sqlite"),
        }));
        Assert.Contains("--sample N", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Session_FromProbes_LabelsExactlyTheRunsProbedTurns()
    {
        var runDir = TestData.TempDir();
        var corpus = AnnotationFixture.Corpus();
        var probes = corpus.SelectMany(c => ProbeSelector.Select(c, ProbeOptions.Default)).ToList();
        using (var run = RunStore.Open(runDir))
        {
            run.AddConversations(corpus);
            run.AddProbes(probes);
        }
        using var session = AnnotationSession.Open(new AnnotationSessionOptions
        {
            ProbesRunDir = runDir,
            StorePath = Path.Combine(TestData.TempDir(), "labels.sqlite"),
        });
        Assert.Equal(LabellingPlan.ProbesSelection, session.Plan.Selection);
        Assert.Equal(probes.Select(p => (p.ConversationId, p.TurnIndex)).Order(),
            session.Plan.Tasks.Select(t => (t.ConversationId, t.TurnIndex)).Order());

        var empty = TestData.TempDir();
        var ex = Assert.Throws<DfidException>(() => AnnotationSession.Open(new AnnotationSessionOptions { ProbesRunDir = empty }));
        Assert.Contains("no run.sqlite", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(empty, RunStore.FileName)), "a missing run must not be created");
    }

    private static string CorpusFileLine(Dfid.Corpus.Conversation c) => Dfid.Corpus.CorpusFile.ToJsonLine(c);
}
