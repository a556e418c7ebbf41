using System.Collections.Concurrent;
using Dfid.Corpus;
using Dfid.Store;

namespace Dfid.Running;

/// <summary>
/// Runs a probe plan through the providers' batch APIs, phase by phase: simulate every pending probe, then label the real
/// and simulated turns (and the hindsight labels), then the agent actions. Each phase is a loop of rounds: run every
/// step of the phase whose answers are not there yet (a step asks its component, exactly as online); the steps whose
/// model requests have answers finish and are recorded through <see cref="RunRecorder"/>; the requests without answers
/// are submitted as provider batches (<see cref="BatchLedger"/>); wait for the batches; run the unfinished steps again.
/// </summary>
/// <remarks>
/// <para>
/// The components run unchanged: their model client answers from the batches (the bottom of the batch-executed layers),
/// so prompts, JSON validation and parsing are the online code. A step that needs a second request (a JSON repair, or
/// prompt mode after an endpoint refused <c>json_schema</c> with HTTP 400) gets it in the next round: the first
/// request's answer is read from the store again and the second request goes into the round's batches. Components
/// without a model (replay, retrieval, learned) and <c>gguf:</c> models run locally in their phase, as online.
/// </para>
/// <para>
/// Requests are submitted in plan order (conversation by conversation, and within a probe the real and simulated turns'
/// labels together), so a provider's prompt cache sees each conversation's shared prefix back to back. Budget stops
/// and Ctrl-C end the session cleanly: batches already submitted go on at the provider and the next session waits for them.
/// </para>
/// </remarks>
internal sealed class BatchExecutor : IRunProgressSource
{
    /// <summary>The probe phases, in order (rollouts, when the run has any, follow in rounds of their own).</summary>
    public static readonly IReadOnlyList<string> Phases = ["simulate", "label", "actions"];

    /// <summary>Rounds a phase may take before the run gives up on it (first requests, repairs, fallbacks, resubmissions).</summary>
    public const int MaxRounds = 12;

    // Steps run per window: a window's collected requests are submitted (in full batches) before the next window runs, so
    // prepared requests do not pile up in memory on a large run.
    private const int Window = 20_000;

    private readonly RunStore _store;
    private readonly BatchLedger _ledger;
    private readonly Func<double?>? _cost;
    private readonly TimeProvider _time;
    private RunRecorder? _recorder;
    private int _probesDone, _probesSkipped, _probesTotal;
    private ConcurrentDictionary<string, int> _conditionDone = new();
    private IReadOnlyList<string> _conditionNames = [];
    private long _startTicks;
    private TimeSpan? _finalElapsed;
    private volatile string _phase = Phases[0];
    private volatile int _round = 1;

    /// <summary>Creates the executor.</summary>
    /// <param name="store">Where answers go and what is already done.</param>
    /// <param name="ledger">The session's batches.</param>
    /// <param name="cost">The session's cost so far, for progress (null: unknown).</param>
    /// <param name="time">Clock of the elapsed time.</param>
    public BatchExecutor(RunStore store, BatchLedger ledger, Func<double?>? cost = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(ledger);
        _store = store;
        _ledger = ledger;
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
            // No ETA: a batch's turnaround is the provider's (minutes to 24 hours), not a rate of this session.
            var remaining = _probesTotal - Volatile.Read(ref _probesDone);
            return RunProgress.Of(
                _conditionNames.Select(n => new ConditionProgress(n, _conditionDone.GetValueOrDefault(n), _probesTotal)).ToList(),
                Volatile.Read(ref _probesDone), _probesTotal, _probesSkipped, Volatile.Read(ref _recorder), _cost?.Invoke(), elapsed,
                remaining == 0 ? TimeSpan.Zero : null) with
            {
                Batches = _ledger.Progress(_phase, _round),
            };
        }
    }

    /// <summary>Runs (or resumes) the plan in the session of <paramref name="recorder"/> (shared with the rollouts).</summary>
    public async Task RunAsync(ProbeRunPlan plan, RunRecorder recorder)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentOutOfRangeException.ThrowIfLessThan(plan.Concurrency, 1);
        _startTicks = _time.GetTimestamp();
        _finalElapsed = null;
        _probesTotal = plan.Probes.Count;
        _conditionNames = plan.Conditions.Select(c => c.Name).ToList();
        var first = ProbeWorkPlanner.Plan(plan, _store);
        _probesSkipped = plan.Probes.Count - first.Pending.Count;
        UpdateDone(first);

        Volatile.Write(ref _recorder, recorder);
        try
        {
            foreach (var phase in Phases)
            {
                _phase = phase;
                var work = ReferenceEquals(phase, Phases[0]) ? first : ProbeWorkPlanner.Plan(plan, _store);
                await RunPhaseAsync(phase, Steps(phase, work, recorder), plan.Concurrency, recorder);
                if (recorder.Token.IsCancellationRequested) break;
                UpdateDone(ProbeWorkPlanner.Plan(plan, _store));
            }
        }
        catch (OperationCanceledException) when (recorder.Token.IsCancellationRequested)
        {
            // Ctrl-C or a budget stop: the session's outcome reports it.
        }
        _finalElapsed = _time.GetElapsedTime(_startTicks);
        _phase = "done";
        if (recorder.Token.IsCancellationRequested) return;
        // Every step of every phase has recorded its answer, failures included (model errors are retried by the next
        // session): the probes are done in the online runner's sense.
        Volatile.Write(ref _probesDone, _probesTotal);
        _conditionDone = new ConcurrentDictionary<string, int>(_conditionNames.Select(n => KeyValuePair.Create(n, _probesTotal)));
    }

    /// <summary>
    /// Runs (or resumes) the rollouts in batch rounds: every round advances each unfinished rollout by the steps whose
    /// answers are there (a rollout's turns depend on each other, so a round moves it one model call further), submits the
    /// requests that wait, and waits for their batches. A rollout of <c>max_user_turns</c> turns takes up to about three
    /// rounds a turn (user, instrument, agent): batch rollouts trade days of waiting for the batch price.
    /// </summary>
    public async Task RunRolloutsAsync(RolloutRunner runner, RolloutPlan plan, RunRecorder recorder)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(recorder);
        Volatile.Write(ref _recorder, recorder);
        _phase = RolloutPhase;
        _ledger.Phase = RolloutPhase;
        var maxRounds = 3 * plan.Options.MaxUserTurns + MaxRounds;
        try
        {
            for (var round = 1; ; round++)
            {
                if (round > maxRounds)
                    throw new DfidException($"batch rollouts: still unfinished after {maxRounds} rounds; run the same command again to go on "
                        + "(dfid run --status RUN shows the batches)", 1);
                _round = round;
                _ledger.Round = round;
                await runner.RunAsync(plan);
                if (recorder.Token.IsCancellationRequested) return;
                await _ledger.SubmitAsync(all: true, recorder.Token);
                if (!_ledger.HasUnreadBatches)
                {
                    // Nothing waits: every rollout ended, or the rest stopped on model errors (the next session redoes them),
                    // or the budget allowed no further submission.
                    if (_ledger.StopReason is { } reason) recorder.Stop(reason);
                    return;
                }
                await _ledger.WaitAsync(recorder.Token);
            }
        }
        catch (OperationCanceledException) when (recorder.Token.IsCancellationRequested)
        {
            // Ctrl-C or a budget stop: the session's outcome reports it.
        }
        finally
        {
            _phase = "done";
        }
    }

    /// <summary>The phase name of batch rollouts (in progress and in the stored batches).</summary>
    public const string RolloutPhase = "rollouts";

    private async Task RunPhaseAsync(string phase, IReadOnlyList<Step> steps, int concurrency, RunRecorder recorder)
    {
        var pending = steps;
        for (var round = 1; pending.Count > 0; round++)
        {
            if (round > MaxRounds)
                throw new DfidException($"batch phase {phase}: {pending.Count} step(s) still without an answer after {MaxRounds} rounds; "
                    + "run the same command again to go on (dfid run --status RUN shows the batches)", 1);
            _round = round;
            _ledger.Phase = phase;
            _ledger.Round = round;
            var deferred = new ConcurrentBag<Step>();
            foreach (var window in pending.Chunk(Window))
            {
                await Parallel.ForEachAsync(window, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = recorder.Token },
                    async (step, _) =>
                    {
                        BatchLedger.Ordinal = step.Ordinal;
                        if (!await step.Run() && !recorder.Token.IsCancellationRequested) deferred.Add(step);
                    });
                await _ledger.SubmitAsync(all: false, recorder.Token);
            }
            recorder.Token.ThrowIfCancellationRequested();
            await _ledger.SubmitAsync(all: true, recorder.Token);
            if (deferred.IsEmpty) return;
            if (!_ledger.HasUnreadBatches)
            {
                // Nothing to wait for: the budget allowed no further submission.
                recorder.Stop(_ledger.StopReason ?? $"batch phase {phase}: {deferred.Count} step(s) wait for answers no batch will bring");
                return;
            }
            await _ledger.WaitAsync(recorder.Token);
            pending = [.. deferred.OrderBy(s => s.Ordinal)];
        }
    }

    // The steps of a phase in plan order; each returns true when it finished (recorded, or the session stopped) and false
    // when its answer waits for a batch.
    private static List<Step> Steps(string phase, ProbeWorkPlan work, RunRecorder recorder)
    {
        var steps = new List<Step>();
        void Add<T>(Func<CancellationToken, Task<Answer<T>>> run, Action<IRunStoreWriter, Answer<T>> write) =>
            steps.Add(new Step(steps.Count, async () => await recorder.RecordAsync(run, null, write) is not null || recorder.Token.IsCancellationRequested));
        foreach (var w in work.Pending)
        {
            var (conv, turn) = (w.Conversation, w.Probe.TurnIndex);
            switch (phase)
            {
                case "simulate":
                    foreach (var sim in w.Simulations.Where(s => s.StoredReply is null))
                        Add(ct => sim.Simulator.ReplyAsync(new Simulation.SimulationRequest(conv, turn) { OfferExit = sim.OfferExit }, ct),
                            (s, a) => s.AddSimulatedTurn(sim.Key, conv.Id, turn, 0, a));
                    break;
                case "label":
                    foreach (var i in w.RealLabels)
                        Add(ct => i.LabelAsync(new Instrument.LabelRequest(conv, turn, null, false), ct), (s, a) => s.AddLabel(i.Name, conv.Id, turn, LabelSource.Real, a));
                    foreach (var i in w.HindsightLabels)
                        Add(ct => i.LabelAsync(new Instrument.LabelRequest(conv, turn, null, true), ct), (s, a) => s.AddLabel(i.Name, conv.Id, turn, LabelSource.RealFull, a));
                    foreach (var sim in w.Simulations.Where(s => s.StoredReply is not null))
                        foreach (var i in sim.Labels)
                            Add(ct => i.LabelAsync(new Instrument.LabelRequest(conv, turn, sim.StoredReply, false), ct),
                                (s, a) => s.AddLabel(i.Name, conv.Id, turn, LabelSource.Simulated(sim.Key), a));
                    break;
                default:
                    if (w.Action is { } action)
                        Add(ct => action.Labeller.LabelAsync(conv, action.AgentTurn, ct), (s, a) => s.AddAction(action.Labeller.Name, conv.Id, action.AgentTurn, a));
                    break;
            }
        }
        return steps;
    }

    private void UpdateDone(ProbeWorkPlan work)
    {
        Volatile.Write(ref _probesDone, _probesTotal - work.Pending.Count);
        _conditionDone = new ConcurrentDictionary<string, int>(_conditionNames.Select(n => KeyValuePair.Create(n, work.ConditionsDone.GetValueOrDefault(n))));
    }

    private sealed record Step(long Ordinal, Func<Task<bool>> Run);
}
