using System.Collections.Concurrent;
using Dfid.Corpus;
using Dfid.Instrument;
using Dfid.Simulation;
using Dfid.Store;

namespace Dfid.Running;

/// <summary>A condition with its objects: the simulator's turns are scored by the instrument.</summary>
/// <param name="Name">Condition name.</param>
/// <param name="Simulator">The simulator.</param>
/// <param name="Instrument">The instrument.</param>
internal sealed record RunCondition(string Name, IUserSimulator Simulator, IInstrument Instrument);

/// <summary>Everything a probe run needs, already built.</summary>
/// <param name="Conversations">The sampled conversations.</param>
/// <param name="Probes">The probes of those conversations.</param>
/// <param name="Conditions">The conditions.</param>
/// <param name="HindsightInstruments">Instruments that also label real turns with the full conversation.</param>
/// <param name="Actions">The agent-action labeller, or <c>null</c>.</param>
/// <param name="Concurrency">Probes in flight at once.</param>
internal sealed record ProbeRunPlan(
    IReadOnlyList<Conversation> Conversations,
    IReadOnlyList<Probe> Probes,
    IReadOnlyList<RunCondition> Conditions,
    IReadOnlyList<IInstrument> HindsightInstruments,
    IAgentActionLabeller? Actions,
    int Concurrency)
{
    /// <summary>Where the simulators are offered the exit channel.</summary>
    public ExitChannel ExitChannel { get; init; } = ExitChannel.Auto;

    /// <summary>Whether exits are measured: every simulator also answers, with the exit channel, at the real exit points and the
    /// ordinary probes (the continuation points beside them).</summary>
    public bool MeasureExits { get; init; }

    /// <summary>The store key of a simulator's depth-probe turns.</summary>
    public string DepthKey(string simulator) => SimulatorKey.Of(simulator, ExitChannel == ExitChannel.On);

    /// <summary>The store key of a simulator's exit-channel turns, or null when exits are not measured.</summary>
    public string? ExitKey(string simulator) => MeasureExits ? SimulatorKey.Of(simulator, ExitChannel != ExitChannel.Off) : null;
}

/// <summary>
/// Runs the teacher-forced probes of a plan into a <see cref="RunStore"/>: for each probe, the real turn is labelled
/// once per instrument (shared by all conditions using it), each simulator writes its turn once (shared by all
/// conditions using it), and each condition's instrument labels its simulator's turn.
/// </summary>
/// <remarks>
/// What is left to do comes from <see cref="ProbeWorkPlanner"/> (work stored by an earlier session is skipped); every
/// answer goes through the session's <see cref="RunRecorder"/>, stored as soon as it arrives. Probes run in parallel, at
/// most <see cref="ProbeRunPlan.Concurrency"/> at once; the work inside a probe runs concurrently as far as its
/// dependencies allow (a simulated turn before its labels). Cancellation and budget stops end the session cleanly:
/// answers in flight are discarded, everything stored stays.
/// </remarks>
internal sealed class ProbeRunner : IRunProgressSource
{
    private readonly RunStore _store;
    private readonly Func<double?>? _cost;
    private readonly TimeProvider _time;
    private RunRecorder? _recorder;
    private int _probesDone, _probesSkipped, _probesTotal, _sessionDone;
    private ConcurrentDictionary<string, int> _conditionDone = new();
    private IReadOnlyList<string> _conditionNames = [];
    private long _startTicks;
    private TimeSpan? _finalElapsed;

    /// <summary>Creates the runner.</summary>
    /// <param name="store">Where answers go and what is already done.</param>
    /// <param name="cost">The model layer's cost so far, for progress (null: unknown).</param>
    /// <param name="time">Clock of the elapsed time and ETA.</param>
    public ProbeRunner(RunStore store, Func<double?>? cost = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _cost = cost;
        _time = time ?? TimeProvider.System;
        _startTicks = _time.GetTimestamp();
    }

    /// <inheritdoc/>
    public RunProgress Progress
    {
        get
        {
            var elapsed = _finalElapsed ?? _time.GetElapsedTime(_startTicks);
            var remaining = _probesTotal - Volatile.Read(ref _probesDone);
            var sessionDone = Volatile.Read(ref _sessionDone);
            TimeSpan? eta = sessionDone > 0 && remaining > 0 ? elapsed * ((double)remaining / sessionDone) : remaining == 0 ? TimeSpan.Zero : null;
            return RunProgress.Of(
                _conditionNames.Select(n => new ConditionProgress(n, _conditionDone.GetValueOrDefault(n), _probesTotal)).ToList(),
                Volatile.Read(ref _probesDone), _probesTotal, _probesSkipped, Volatile.Read(ref _recorder), _cost?.Invoke(), elapsed, eta);
        }
    }

    /// <summary>Runs (or resumes) the plan in a session of its own.</summary>
    public async Task<RunOutcome> RunAsync(ProbeRunPlan plan, CancellationToken cancellationToken = default)
    {
        using var recorder = new RunRecorder(_store, cancellationToken);
        await RunAsync(plan, recorder);
        return Outcome(recorder, Progress);
    }

    /// <summary>Runs (or resumes) the plan in the session of <paramref name="recorder"/> (shared with other runners of the session).</summary>
    public async Task RunAsync(ProbeRunPlan plan, RunRecorder recorder)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentOutOfRangeException.ThrowIfLessThan(plan.Concurrency, 1);
        _startTicks = _time.GetTimestamp();
        _finalElapsed = null;
        _probesTotal = plan.Probes.Count;
        _conditionNames = plan.Conditions.Select(c => c.Name).ToList();
        var work = ProbeWorkPlanner.Plan(plan, _store);
        _conditionDone = new ConcurrentDictionary<string, int>(_conditionNames.Select(n => KeyValuePair.Create(n, work.ConditionsDone.GetValueOrDefault(n))));
        _probesDone = _probesSkipped = plan.Probes.Count - work.Pending.Count;
        Volatile.Write(ref _recorder, recorder);
        try
        {
            await Parallel.ForEachAsync(work.Pending, new ParallelOptions { MaxDegreeOfParallelism = plan.Concurrency, CancellationToken = recorder.Token },
                async (probe, _) =>
                {
                    await RunProbeAsync(probe, recorder);
                    if (recorder.Token.IsCancellationRequested) return;
                    foreach (var c in probe.ConditionsPending) _conditionDone.AddOrUpdate(c, 1, (_, v) => v + 1);
                    Interlocked.Increment(ref _probesDone);
                    Interlocked.Increment(ref _sessionDone);
                });
        }
        catch (OperationCanceledException) when (recorder.Token.IsCancellationRequested)
        {
            // Ctrl-C or a budget stop: reported by the outcome.
        }
        // The session's clock stops here: a display polling after the run (during the analysis) shows the run's time.
        _finalElapsed = _time.GetElapsedTime(_startTicks);
    }

    /// <summary>How a session ended: a budget stop, an interruption, or complete when every probe and rollout is done.</summary>
    public static RunOutcome Outcome(RunRecorder recorder, RunProgress progress)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentNullException.ThrowIfNull(progress);
        if (recorder.StopReason is { } reason) return new RunOutcome(RunEnd.BudgetReached, reason, progress);
        if (recorder.Interrupted) return new RunOutcome(RunEnd.Interrupted, "interrupted", progress);
        var complete = progress.ProbesDone == progress.ProbesTotal && progress.RolloutsDone == progress.RolloutsTotal;
        return new RunOutcome(complete ? RunEnd.Completed : RunEnd.Interrupted, null, progress);
    }

    private static async Task RunProbeAsync(ProbeWork w, RunRecorder recorder)
    {
        var (conv, probe) = (w.Conversation, w.Probe);
        var tasks = new List<Task>();
        foreach (var inst in w.RealLabels) tasks.Add(LabelAsync(recorder, inst, conv, probe.TurnIndex, null, LabelSource.Real, full: false));
        foreach (var inst in w.HindsightLabels) tasks.Add(LabelAsync(recorder, inst, conv, probe.TurnIndex, null, LabelSource.RealFull, full: true));
        foreach (var sim in w.Simulations) tasks.Add(SimulateAndLabelAsync(recorder, sim, conv, probe.TurnIndex));
        if (w.Action is { } action)
            tasks.Add(recorder.RecordAsync(ct => action.Labeller.LabelAsync(conv, action.AgentTurn, ct), null,
                (s, a) => s.AddAction(action.Labeller.Name, conv.Id, action.AgentTurn, a)));
        await Task.WhenAll(tasks);
    }

    private static async Task SimulateAndLabelAsync(RunRecorder recorder, SimulationWork sim, Conversation conv, int turn)
    {
        var text = sim.StoredReply;
        if (text is null)
        {
            var answer = await recorder.RecordAsync(ct => sim.Simulator.ReplyAsync(new SimulationRequest(conv, turn) { OfferExit = sim.OfferExit }, ct), null,
                (s, a) => s.AddSimulatedTurn(sim.Key, conv.Id, turn, 0, a));
            // An exit has no text to label (at a depth probe it counts as resisting); a failure is final or retried next session.
            if (answer is not { IsOk: true }) return;
            text = answer.Value!;
        }
        await Task.WhenAll(sim.Labels.Select(i => LabelAsync(recorder, i, conv, turn, text, LabelSource.Simulated(sim.Key), full: false)));
    }

    private static Task LabelAsync(RunRecorder recorder, IInstrument instrument, Conversation conv, int turn, string? text, string source, bool full) =>
        recorder.RecordAsync(ct => instrument.LabelAsync(new LabelRequest(conv, turn, text, full), ct), null,
            (s, a) => s.AddLabel(instrument.Name, conv.Id, turn, source, a));
}
