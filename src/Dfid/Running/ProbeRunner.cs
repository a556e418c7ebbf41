using System.Collections.Concurrent;
using System.Diagnostics;
using Dfid.Corpus;
using Dfid.Instrument;
using Dfid.Models;
using Dfid.Probing;
using Dfid.Simulation;
using Dfid.Store;

namespace Dfid.Running;

/// <summary>A condition with its objects: the simulator's turns are scored by the instrument.</summary>
/// <param name="Name">Condition name.</param>
/// <param name="Simulator">The simulator.</param>
/// <param name="Instrument">The instrument.</param>
public sealed record RunCondition(string Name, IUserSimulator Simulator, IInstrument Instrument);

/// <summary>Everything a probe run needs, already built.</summary>
/// <param name="Conversations">The sampled conversations.</param>
/// <param name="Probes">The probes of those conversations.</param>
/// <param name="Conditions">The conditions.</param>
/// <param name="HindsightInstruments">Instruments that also label real turns with the full conversation.</param>
/// <param name="Actions">The agent-action labeller, or <c>null</c>.</param>
/// <param name="Concurrency">Probes in flight at once.</param>
public sealed record ProbeRunPlan(
    IReadOnlyList<Conversation> Conversations,
    IReadOnlyList<Probe> Probes,
    IReadOnlyList<RunCondition> Conditions,
    IReadOnlyList<IInstrument> HindsightInstruments,
    IAgentActionLabeller? Actions,
    int Concurrency);

/// <summary>How a run ended.</summary>
public enum RunEnd
{
    /// <summary>Every probe of every condition is recorded.</summary>
    Completed,
    /// <summary>Cancelled (Ctrl-C); everything finished is kept.</summary>
    Interrupted,
    /// <summary>The budget cap was reached; everything finished is kept.</summary>
    BudgetReached,
}

/// <summary>Progress of one condition.</summary>
/// <param name="Name">Condition name.</param>
/// <param name="Done">Probes finished (including those finished by earlier sessions).</param>
/// <param name="Total">Probes in the run.</param>
public sealed record ConditionProgress(string Name, int Done, int Total);

/// <summary>A progress snapshot.</summary>
/// <param name="Conditions">Per-condition progress.</param>
/// <param name="ProbesDone">Probes fully finished (all conditions).</param>
/// <param name="ProbesTotal">Probes in the run.</param>
/// <param name="ProbesSkipped">Probes already finished by earlier sessions.</param>
/// <param name="Calls">Model answers this session (cache hits included).</param>
/// <param name="CacheHits">Answers served from the response cache this session.</param>
/// <param name="Failures">Failed answers this session (model errors, invalid answers, empty answers, refusals).</param>
/// <param name="Tokens">Prompt plus completion tokens this session.</param>
/// <param name="CostUsd">Cost so far as the model layer reports it (null: unknown or no model).</param>
/// <param name="Elapsed">Time since this session started.</param>
/// <param name="Eta">Estimated time left, once there is a rate to estimate from.</param>
public sealed record RunProgress(
    IReadOnlyList<ConditionProgress> Conditions,
    int ProbesDone,
    int ProbesTotal,
    int ProbesSkipped,
    long Calls,
    long CacheHits,
    long Failures,
    long Tokens,
    double? CostUsd,
    TimeSpan Elapsed,
    TimeSpan? Eta);

/// <summary>The result of a session.</summary>
/// <param name="End">How it ended.</param>
/// <param name="Message">Why it stopped, for a stop.</param>
/// <param name="Progress">The final progress snapshot.</param>
public sealed record RunOutcome(RunEnd End, string? Message, RunProgress Progress);

/// <summary>Hooks into the model layer: how to recognise a budget stop, and the cost so far.</summary>
/// <param name="StopReason">Returns why the run must stop (e.g. "budget max_cost_usd = 5 reached"), or null to go on.
/// Called before each probe and after each failed model answer.</param>
/// <param name="IsStop">Recognises an exception (or the error of a failed answer) that means "stop", not "this item failed".</param>
/// <param name="CostUsd">The cost so far, or null when unknown.</param>
public sealed record RunHooks(Func<string?>? StopReason = null, Func<Exception, bool>? IsStop = null, Func<double?>? CostUsd = null);

/// <summary>
/// Runs the teacher-forced probes of a plan into a <see cref="RunStore"/>: for each probe, the real turn is labelled
/// once per instrument (shared by all conditions using it), each simulator writes its turn once (shared by all
/// conditions using it), and each condition's instrument labels its simulator's turn.
/// </summary>
/// <remarks>
/// Probes run in parallel, at most <see cref="ProbeRunPlan.Concurrency"/> at once; the work inside a probe runs
/// concurrently as far as its dependencies allow (a simulated turn before its labels). Work recorded by an earlier
/// session is skipped. Each answer is stored as soon as it arrives. Cancellation and budget stops end the session
/// cleanly: answers in flight are discarded (not stored), everything stored stays.
/// </remarks>
public sealed class ProbeRunner
{
    private readonly RunStore _store;
    private readonly RunHooks _hooks;
    private readonly TimeProvider _time;
    private long _calls, _cacheHits, _failures, _tokens;
    private int _probesDone, _probesSkipped, _probesTotal, _sessionDone;
    private ConcurrentDictionary<string, int> _conditionDone = new();
    private IReadOnlyList<string> _conditionNames = [];
    private long _startTicks;
    private volatile string? _stopMessage;

    /// <summary>Creates the runner.</summary>
    public ProbeRunner(RunStore store, RunHooks? hooks = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _hooks = hooks ?? new RunHooks();
        _time = time ?? TimeProvider.System;
        _startTicks = _time.GetTimestamp();
    }

    /// <summary>A snapshot of the progress (safe to call from any thread while running).</summary>
    public RunProgress Progress
    {
        get
        {
            var elapsed = _time.GetElapsedTime(_startTicks);
            var remaining = _probesTotal - Volatile.Read(ref _probesDone);
            var sessionDone = Volatile.Read(ref _sessionDone);
            TimeSpan? eta = sessionDone > 0 && remaining > 0 ? elapsed * ((double)remaining / sessionDone) : remaining == 0 ? TimeSpan.Zero : null;
            return new RunProgress(
                _conditionNames.Select(n => new ConditionProgress(n, _conditionDone.GetValueOrDefault(n), _probesTotal)).ToList(),
                Volatile.Read(ref _probesDone), _probesTotal, _probesSkipped,
                Interlocked.Read(ref _calls), Interlocked.Read(ref _cacheHits), Interlocked.Read(ref _failures), Interlocked.Read(ref _tokens),
                _hooks.CostUsd?.Invoke(), elapsed, eta);
        }
    }

    /// <summary>Runs (or resumes) the plan.</summary>
    public async Task<RunOutcome> RunAsync(ProbeRunPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentOutOfRangeException.ThrowIfLessThan(plan.Concurrency, 1);
        var byId = plan.Conversations.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var done = _store.ReadDoneKeys();
        _startTicks = _time.GetTimestamp();
        _probesTotal = plan.Probes.Count;
        _conditionNames = plan.Conditions.Select(c => c.Name).ToList();
        _conditionDone = new ConcurrentDictionary<string, int>(_conditionNames.Select(n => KeyValuePair.Create(n, 0)));

        var instruments = plan.Conditions.Select(c => c.Instrument).DistinctBy(i => i.Name).ToList();
        var simulators = plan.Conditions.Select(c => c.Simulator).DistinctBy(s => s.Name).ToList();

        var todo = new List<Probe>();
        foreach (var p in plan.Probes)
        {
            var pending = false;
            foreach (var c in plan.Conditions)
            {
                if (ConditionDone(c, p, done, byId)) _conditionDone.AddOrUpdate(c.Name, 1, (_, v) => v + 1);
                else pending = true;
            }
            pending |= plan.HindsightInstruments.Any(i => !done.Labels.Contains((i.Name, p.ConversationId, p.TurnIndex, RunStore.RealFullSource)));
            if (plan.Actions is { } a && RunStore.PreviousAgentTurn(byId[p.ConversationId], p.TurnIndex) is var at and >= 0)
                pending |= !done.Actions.Contains((a.Name, p.ConversationId, at));
            if (pending) todo.Add(p);
            else { _probesDone++; _probesSkipped++; }
        }

        using var stopCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = plan.Concurrency, CancellationToken = stopCts.Token }, async (probe, ct) =>
            {
                if (_hooks.StopReason?.Invoke() is { } reason) { Stop(reason, stopCts); return; }
                var conv = byId[probe.ConversationId];
                var work = new List<Task>();
                foreach (var inst in instruments)
                    if (!done.Labels.Contains((inst.Name, probe.ConversationId, probe.TurnIndex, RunStore.RealSource)))
                        work.Add(LabelAsync(inst, conv, probe, null, RunStore.RealSource, false, stopCts, ct));
                foreach (var inst in plan.HindsightInstruments)
                    if (!done.Labels.Contains((inst.Name, probe.ConversationId, probe.TurnIndex, RunStore.RealFullSource)))
                        work.Add(LabelAsync(inst, conv, probe, null, RunStore.RealFullSource, true, stopCts, ct));
                foreach (var sim in simulators)
                {
                    var simInstruments = plan.Conditions.Where(c => c.Simulator.Name == sim.Name).Select(c => c.Instrument).DistinctBy(i => i.Name).ToList();
                    work.Add(SimulateAndLabelAsync(sim, simInstruments, conv, probe, done, stopCts, ct));
                }
                if (plan.Actions is { } labeller)
                {
                    var at = RunStore.PreviousAgentTurn(conv, probe.TurnIndex);
                    if (at >= 0 && !done.Actions.Contains((labeller.Name, probe.ConversationId, at)))
                        work.Add(ActionAsync(labeller, conv, at, stopCts, ct));
                }
                await Task.WhenAll(work);
                if (ct.IsCancellationRequested || _stopMessage is not null) return;
                foreach (var c in plan.Conditions)
                    if (!ConditionDone(c, probe, done, byId)) _conditionDone.AddOrUpdate(c.Name, 1, (_, v) => v + 1);
                Interlocked.Increment(ref _probesDone);
                Interlocked.Increment(ref _sessionDone);
            });
        }
        catch (OperationCanceledException) when (stopCts.IsCancellationRequested)
        {
            // Ctrl-C or a budget stop: handled below.
        }
        if (_stopMessage is { } msg) return new RunOutcome(RunEnd.BudgetReached, msg, Progress);
        if (cancellationToken.IsCancellationRequested) return new RunOutcome(RunEnd.Interrupted, "interrupted", Progress);
        return new RunOutcome(Progress.ProbesDone == _probesTotal ? RunEnd.Completed : RunEnd.Interrupted, null, Progress);
    }

    private static bool ConditionDone(RunCondition c, Probe p, DoneKeys done, Dictionary<string, Conversation> byId)
    {
        if (!done.Labels.Contains((c.Instrument.Name, p.ConversationId, p.TurnIndex, RunStore.RealSource))) return false;
        if (!done.SimulatedTurns.Contains((c.Simulator.Name, p.ConversationId, p.TurnIndex, 0))) return false;
        // A failed simulation needs no label; a successful one does. Which it was is only in the store.
        return done.Labels.Contains((c.Instrument.Name, p.ConversationId, p.TurnIndex, RunStore.SimSource(c.Simulator.Name)))
            || !SimulationSucceeded(c, p, done);
    }

    private static bool SimulationSucceeded(RunCondition c, Probe p, DoneKeys done) =>
        done.SuccessfulSimulations?.Contains((c.Simulator.Name, p.ConversationId, p.TurnIndex, 0)) ?? true;

    private async Task SimulateAndLabelAsync(IUserSimulator sim, IReadOnlyList<IInstrument> instruments, Conversation conv, Probe probe,
        DoneKeys done, CancellationTokenSource stopCts, CancellationToken ct)
    {
        SimulatedTurn? turn;
        if (done.SimulatedTurns.Contains((sim.Name, probe.ConversationId, probe.TurnIndex, 0)))
        {
            turn = _store.ReadSimulatedTurn(sim.Name, probe.ConversationId, probe.TurnIndex);
        }
        else
        {
            try
            {
                turn = await sim.ReplyAsync(new SimulationRequest(conv, probe.TurnIndex), ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (!IsStopException(ex))
            {
                turn = new SimulatedTurn(null, SimulationStatus.ModelError, ex.GetType().Name + ": " + ex.Message);
            }
            catch (Exception ex)
            {
                Stop(ex.Message, stopCts);
                return;
            }
            if (ct.IsCancellationRequested) return;
            if (turn.Status == SimulationStatus.ModelError && StopNow(turn.Error, stopCts)) return;
            Count(turn.Call, turn.Status != SimulationStatus.Ok);
            _store.AddSimulatedTurn(sim.Name, probe.ConversationId, probe.TurnIndex, 0, turn);
        }
        if (turn is null || turn.Status != SimulationStatus.Ok) return;
        var labels = instruments
            .Where(i => !done.Labels.Contains((i.Name, probe.ConversationId, probe.TurnIndex, RunStore.SimSource(sim.Name))))
            .Select(i => LabelAsync(i, conv, probe, turn.Text, RunStore.SimSource(sim.Name), false, stopCts, ct));
        await Task.WhenAll(labels);
    }

    private async Task LabelAsync(IInstrument inst, Conversation conv, Probe probe, string? text, string source, bool full,
        CancellationTokenSource stopCts, CancellationToken ct)
    {
        LabelResult label;
        try
        {
            label = await inst.LabelAsync(new LabelRequest(conv, probe.TurnIndex, text, full), ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (!IsStopException(ex))
        {
            label = new LabelResult(null, LabelStatus.ModelError, ex.GetType().Name + ": " + ex.Message);
        }
        catch (Exception ex)
        {
            Stop(ex.Message, stopCts);
            return;
        }
        if (ct.IsCancellationRequested) return;
        if (label.Status == LabelStatus.ModelError && StopNow(label.Error, stopCts)) return;
        Count(label.Call, label.Status != LabelStatus.Ok);
        _store.AddLabel(inst.Name, probe.ConversationId, probe.TurnIndex, source, label);
    }

    private async Task ActionAsync(IAgentActionLabeller labeller, Conversation conv, int agentTurn, CancellationTokenSource stopCts, CancellationToken ct)
    {
        ActionLabelResult result;
        try
        {
            result = await labeller.LabelAsync(conv, agentTurn, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (!IsStopException(ex))
        {
            result = new ActionLabelResult(null, LabelStatus.ModelError, ex.GetType().Name + ": " + ex.Message);
        }
        catch (Exception ex)
        {
            Stop(ex.Message, stopCts);
            return;
        }
        if (ct.IsCancellationRequested) return;
        if (result.Status == LabelStatus.ModelError && StopNow(result.Error, stopCts)) return;
        Count(result.Call, result.Status != LabelStatus.Ok);
        _store.AddAction(labeller.Name, conv.Id, agentTurn, result);
    }

    private bool IsStopException(Exception ex) =>
        PromptedSimulator.IsStop(ex) || (_hooks.IsStop?.Invoke(ex) ?? false);

    // A failed answer caused by the budget is not stored: the next session with a higher cap redoes it.
    private bool StopNow(string? error, CancellationTokenSource stopCts)
    {
        if (_hooks.StopReason?.Invoke() is { } reason)
        {
            Stop(reason, stopCts);
            return true;
        }
        return false;
    }

    private void Stop(string reason, CancellationTokenSource stopCts)
    {
        _stopMessage ??= reason;
        try { stopCts.Cancel(); } catch (ObjectDisposedException) { }
    }

    private void Count(ModelCall? call, bool failed)
    {
        if (failed) Interlocked.Increment(ref _failures);
        if (call is null) return;
        Interlocked.Increment(ref _calls);
        if (call.CacheHit) Interlocked.Increment(ref _cacheHits);
        Interlocked.Add(ref _tokens, (call.PromptTokens ?? 0) + (call.CompletionTokens ?? 0));
    }
}
