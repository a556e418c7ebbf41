using Dfid.Analysis;
using Dfid.Instrument;
using Dfid.Probing;
using Dfid.Running;
using Dfid.Simulation;
using Dfid.Store;
using Microsoft.Data.Sqlite;

namespace Dfid.Tests.Running;

public class ProbeRunnerTests
{
    private sealed class EchoSimulator(string name, TimeSpan delay = default) : IUserSimulator
    {
        private int _calls;
        public string Name { get; } = name;
        public int Calls => Volatile.Read(ref _calls);

        public async Task<Answer<string>> ReplyAsync(SimulationRequest request, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            if (delay > TimeSpan.Zero) await Task.Delay(delay, cancellationToken);
            // Every third probe yields an empty answer: failures are data and need no label.
            if (request.ProbeTurnIndex % 6 == 5) return Answer<string>.Failed(AnswerStatus.Empty, "empty answer");
            return Answer<string>.Ok($"{Name} says hi at {request.Conversation.Id}/{request.ProbeTurnIndex}");
        }
    }

    private static ProbeRunPlan Plan(IReadOnlyList<RunCondition> conditions, int conversations = 6, int concurrency = 4)
    {
        var convs = Enumerable.Range(0, conversations).Select(i => RunFixtures.Conversation($"c{i:D2}", 6 + i % 5, converted: i % 2 == 0)).ToList();
        var probes = convs.SelectMany(c => ProbeSelector.Select(c, ProbeOptions.Default)).ToList();
        return new ProbeRunPlan(convs, probes, conditions, [], null, concurrency);
    }

    private static RunStore NewStore(ProbeRunPlan plan)
    {
        var store = RunStore.Open(TestData.TempDir());
        store.AddConversations(plan.Conversations);
        store.AddProbes(plan.Probes);
        store.AddConditions(plan.Conditions.Select(c => (c.Name, c.Simulator.Name, c.Instrument.Name)));
        return store;
    }

    [Fact]
    public async Task Run_Replay_EveryDIsZero_AndRealLabelSharedAcrossConditions()
    {
        var inst = new TextHashInstrument("learned");
        var echo = new EchoSimulator("echo");
        var plan = Plan([new RunCondition("replay", new ReplaySimulator(), inst), new RunCondition("echo", echo, inst)]);
        using var store = NewStore(plan);

        var outcome = await new ProbeRunner(store).RunAsync(plan);

        Assert.Equal(RunEnd.Completed, outcome.End);
        var rows = store.ReadProbeTable(includeTexts: true).Rows;
        var replay = rows.Where(r => r.Condition == "replay").ToList();
        Assert.Equal(plan.Probes.Count, replay.Count);
        Assert.All(replay, r => Assert.Equal(0, (int)r.Sim!.Stage - (int)r.Real!.Stage));
        Assert.All(replay, r => Assert.Equal(r.Texts!.RealReply, r.Texts.SimReply));
        // One real label per probe (shared), one sim label per successful simulated turn of each simulator.
        var echoOk = rows.Count(r => r.Condition == "echo" && r.Status == ProbeStatus.Ok);
        var echoFailed = rows.Count(r => r.Condition == "echo" && r.Status == ProbeStatus.SimulationFailed);
        Assert.True(echoFailed > 0);
        Assert.Equal(plan.Probes.Count, echoOk + echoFailed);
        Assert.Equal(plan.Probes.Count * 2 + echoOk, inst.Calls);
        Assert.All(outcome.Progress.Conditions, c => Assert.Equal(plan.Probes.Count, c.Done));
    }

    [Fact]
    public async Task Run_InterruptedThenResumed_EqualsUninterruptedRun_NoWorkRedone()
    {
        var instA = new TextHashInstrument("judge");
        var planA = Plan([new RunCondition("echo", new EchoSimulator("echo"), instA), new RunCondition("replay", new ReplaySimulator(), instA)], conversations: 10);
        using var reference = NewStore(planA);
        await new ProbeRunner(reference).RunAsync(planA);

        var inst = new TextHashInstrument("judge");
        var echo = new EchoSimulator("echo", TimeSpan.FromMilliseconds(5));
        var plan = planA with { Conditions = [new RunCondition("echo", echo, inst), new RunCondition("replay", new ReplaySimulator(), inst)] };
        using var store = NewStore(plan);
        using var cts = new CancellationTokenSource();
        var labels = 0;
        inst.BeforeLabel = _ => { if (Interlocked.Increment(ref labels) == 25) cts.Cancel(); return Task.CompletedTask; };
        var first = await new ProbeRunner(store).RunAsync(plan, cts.Token);
        Assert.Equal(RunEnd.Interrupted, first.End);
        var stored = (int)CountWhere(store, "sim_turns", "simulator = 'echo'");
        Assert.InRange(stored, 1, plan.Probes.Count - 1);

        inst.BeforeLabel = null;
        var callsBefore = echo.Calls;
        var second = await new ProbeRunner(store).RunAsync(plan);
        Assert.Equal(RunEnd.Completed, second.End);
        Assert.Equal(plan.Probes.Count - stored, echo.Calls - callsBefore);
        Assert.True(second.Progress.ProbesSkipped > 0);

        Assert.Equal(Dump(reference), Dump(store));
        // Running again does nothing.
        var calls = inst.Calls;
        var third = await new ProbeRunner(store).RunAsync(plan);
        Assert.Equal(calls, inst.Calls);
        Assert.Equal(plan.Probes.Count, third.Progress.ProbesSkipped);
    }

    [Fact]
    public async Task Run_ModelErrors_AreStoredThenRetriedOnResume()
    {
        var inst = new FlakyInstrument();
        var plan = Plan([new RunCondition("replay", new ReplaySimulator(), inst)], conversations: 3);
        using var store = NewStore(plan);
        await new ProbeRunner(store).RunAsync(plan);
        var failed = store.ReadProbeTable().Rows.Count(r => r.Status != ProbeStatus.Ok);
        Assert.True(failed > 0);
        inst.Fail = false;
        await new ProbeRunner(store).RunAsync(plan);
        Assert.All(store.ReadProbeTable().Rows, r => Assert.Equal(ProbeStatus.Ok, r.Status));
        Assert.Equal(plan.Probes.Count * 2, Count(store, "labels"));
    }

    [Fact]
    public async Task Run_BudgetStop_EndsCleanlyWithoutStoringTheStoppedAnswer()
    {
        var inst = new FlakyInstrument { Fail = false };
        var calls = 0;
        // The model layer's budget guard refuses the tenth call: the run's one stop signal.
        inst.OnCall = () => Interlocked.Increment(ref calls) >= 10;
        var plan = Plan([new RunCondition("replay", new ReplaySimulator(), inst)], conversations: 8, concurrency: 2);
        using var store = NewStore(plan);
        var outcome = await new ProbeRunner(store).RunAsync(plan);
        Assert.Equal(RunEnd.BudgetReached, outcome.End);
        Assert.Equal("budget max_calls = 10 reached", outcome.Message);
        Assert.Equal(0, CountWhere(store, "labels", "status = 'ModelError'"));
        Assert.True(outcome.Progress.ProbesDone < plan.Probes.Count);
    }

    private sealed class FlakyInstrument : IInstrument
    {
        private int _n;
        public string Name => "flaky";
        public bool Fail { get; set; } = true;
        public Func<bool>? OnCall { get; set; }

        public Task<Answer<DecisionState>> LabelAsync(LabelRequest request, CancellationToken cancellationToken = default)
        {
            if (OnCall?.Invoke() == true) throw new Dfid.Models.BudgetExhaustedException("budget max_calls = 10 reached", new Dfid.Models.UsageMeter().Snapshot());
            if (Fail && Interlocked.Increment(ref _n) % 3 == 0) return Task.FromResult(Answer<DecisionState>.Failed(AnswerStatus.ModelError, "HTTP 503"));
            return Task.FromResult(Answer<DecisionState>.Ok(new DecisionState(Stage.Engaging)));
        }
    }

    internal static long Count(RunStore store, string table) => CountWhere(store, table, "1=1");

    internal static long CountWhere(RunStore store, string table, string where)
    {
        using var db = new SqliteConnection($"Data Source={store.FilePath};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*) FROM {table} WHERE {where}";
        return (long)cmd.ExecuteScalar()!;
    }

    internal static string Dump(RunStore store) => StoreDump.Of(store.FilePath);
}
