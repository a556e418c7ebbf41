using System.Collections.Concurrent;
using System.Collections.Immutable;
using Dfid.Agents;
using Dfid.Corpus;
using Dfid.Instrument;
using Dfid.Probing;
using Dfid.Simulation;
using Dfid.Store;

namespace Dfid.Running;

/// <summary>A rollout condition with its objects: the simulated user and the agent alternate; the instrument labels every user turn.</summary>
/// <param name="Name">Condition name.</param>
/// <param name="Simulator">The simulated user.</param>
/// <param name="Agent">The agent.</param>
/// <param name="Instrument">The instrument.</param>
internal sealed record RolloutCondition(string Name, IUserSimulator Simulator, IAgent Agent, IInstrument Instrument);

/// <summary>Everything the rollouts of a run need, already built.</summary>
/// <param name="Conversations">The sampled conversations.</param>
/// <param name="Conditions">The rollout conditions.</param>
/// <param name="Options">Start, cap, samples.</param>
/// <param name="OfferExit">Whether the simulated users are offered the exit channel.</param>
/// <param name="SkipGreeting">The probe rule's greeting rule (the start is a probe position).</param>
/// <param name="Concurrency">Rollouts in flight at once.</param>
internal sealed record RolloutPlan(
    IReadOnlyList<Conversation> Conversations,
    IReadOnlyList<RolloutCondition> Conditions,
    RolloutOptions Options,
    bool OfferExit,
    bool SkipGreeting,
    int Concurrency)
{
    /// <summary>Where a conversation's rollouts start (the index of the first replaced real user turn), or null when the
    /// conversation is too short for the start position.</summary>
    public int? StartOf(Conversation conversation) =>
        ProbeSelector.Select(conversation, new ProbeOptions([Options.Start], SkipGreeting)).FirstOrDefault()?.TurnIndex;
}

/// <summary>
/// Runs free-running rollouts into the run store: from a conversation's real prefix the simulated user (offered the exit
/// channel) and the agent alternate; the condition's instrument labels every simulated user turn; a rollout ends on an
/// exit, a simulated decision (a user turn labelled deciding), the cap, an agent with nothing more to say, or a final
/// failure. The real user turns after the start are labelled too (the matched positions of the rollout D).
/// </summary>
/// <remarks>
/// Turns within a rollout are sequential, rollouts run in parallel (at most <see cref="RolloutPlan.Concurrency"/>). Every
/// step is stored as it arrives through the session's <see cref="RunRecorder"/>, so a rollout resumes at its last stored
/// step after any stop; a model error stops that rollout for the session (the next session redoes the step).
/// </remarks>
internal sealed class RolloutRunner : IRunProgressSource
{
    private readonly RunStore _store;
    private readonly RunRecorder _recorder;
    private readonly Func<double?>? _cost;
    private readonly TimeProvider _time;
    private long _startTicks;
    private TimeSpan? _elapsed = TimeSpan.Zero;
    private ConcurrentDictionary<string, int> _done = new();
    private IReadOnlyDictionary<string, int> _totals = new Dictionary<string, int>();
    private int _total, _finished, _skipped;

    public RolloutRunner(RunStore store, RunRecorder recorder, Func<double?>? cost = null, TimeProvider? time = null)
    {
        _store = store;
        _recorder = recorder;
        _cost = cost;
        _time = time ?? TimeProvider.System;
    }

    public RunProgress Progress => RunProgress.Of(
        _totals.Select(t => new ConditionProgress(t.Key, _done.GetValueOrDefault(t.Key), t.Value)).ToList(),
        0, 0, 0, _recorder, _cost?.Invoke(), _elapsed ?? _time.GetElapsedTime(_startTicks), null) with
    {
        RolloutsDone = Volatile.Read(ref _finished),
        RolloutsTotal = _total,
        RolloutsSkipped = _skipped,
    };

    /// <summary>Runs (or resumes) the plan's rollouts; the recorder's token ends the session.</summary>
    public async Task RunAsync(RolloutPlan plan)
    {
        _startTicks = _time.GetTimestamp();
        _elapsed = null;
        try
        {
            await RunRolloutsAsync(plan);
        }
        finally
        {
            // The clock stops with the rollouts: a display polling afterwards shows their time.
            _elapsed = _time.GetElapsedTime(_startTicks);
        }
    }

    private async Task RunRolloutsAsync(RolloutPlan plan)
    {
        var ended = _store.ReadRollouts();
        var steps = _store.ReadRolloutSteps();
        var done = _store.ReadDoneKeys();
        var labels = _store.ReadLabelsOfSources("rollout:");
        var chains = new List<(RolloutCondition Condition, Conversation Conversation, int Start, int Sample)>();
        var totals = plan.Conditions.ToDictionary(c => c.Name, _ => 0, StringComparer.Ordinal);
        _done = new ConcurrentDictionary<string, int>(plan.Conditions.Select(c => KeyValuePair.Create(c.Name, 0)));
        foreach (var conv in plan.Conversations)
        {
            if (plan.StartOf(conv) is not { } start) continue;
            foreach (var c in plan.Conditions)
                for (var k = 0; k < plan.Options.Samples; k++)
                {
                    totals[c.Name]++;
                    if (ended.ContainsKey(new RolloutKey(c.Name, conv.Id, k))) _done.AddOrUpdate(c.Name, 1, (_, v) => v + 1);
                    else chains.Add((c, conv, start, k));
                }
        }
        _totals = totals;
        _total = totals.Values.Sum();
        _finished = _skipped = _total - chains.Count;

        // The real user turns after each start, labelled by each rollout instrument (shared with depth probes at the same turns).
        var realWork = plan.Conversations.SelectMany(conv => plan.StartOf(conv) is { } start
                ? plan.Conditions.Select(c => c.Instrument).DistinctBy(i => i.Name)
                    .SelectMany(i => ProbeSelector.UserTurnsFrom(conv, start, plan.Options.MaxUserTurns)
                        .Where(t => !done.Labels.Contains((i.Name, conv.Id, t, LabelSource.Real)))
                        .Select(t => (Instrument: i, Conversation: conv, Turn: t)))
                : [])
            .ToList();
        // One queue: the rollouts first (long, sequential chains), then the short real-turn labels, which fill the slots the
        // last chains leave free instead of holding every chain back until they are done.
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, chains.Count + realWork.Count), new ParallelOptions { MaxDegreeOfParallelism = plan.Concurrency, CancellationToken = _recorder.Token },
                async (item, _) =>
                {
                    if (item >= chains.Count)
                    {
                        var w = realWork[item - chains.Count];
                        await _recorder.RecordAsync(ct => w.Instrument.LabelAsync(new LabelRequest(w.Conversation, w.Turn), ct), null,
                            (s, a) => s.AddLabel(w.Instrument.Name, w.Conversation.Id, w.Turn, LabelSource.Real, a));
                        return;
                    }
                    var (condition, conversation, start, sample) = chains[item];
                    var key = new RolloutKey(condition.Name, conversation.Id, sample);
                    var stored = steps.GetValueOrDefault(key) ?? [];
                    var storedLabels = labels.GetValueOrDefault((condition.Instrument.Name, conversation.Id, RunStore.RolloutSource(condition.Name, sample)));
                    if (await RunChainAsync(plan, condition, conversation, start, sample, stored, storedLabels) && !_recorder.Token.IsCancellationRequested)
                    {
                        _done.AddOrUpdate(condition.Name, 1, (_, v) => v + 1);
                        Interlocked.Increment(ref _finished);
                    }
                });
        }
        catch (OperationCanceledException) when (_recorder.Token.IsCancellationRequested)
        {
            // Ctrl-C or a budget stop: the caller reports it.
        }
    }

    // Returns whether the rollout ended (its end is stored); false when the session stopped it or a model error did.
    private async Task<bool> RunChainAsync(RolloutPlan plan, RolloutCondition c, Conversation real, int start, int sample,
        IReadOnlyList<RolloutStep> stored, IReadOnlyDictionary<int, DecisionState?>? storedLabels)
    {
        var key = new RolloutKey(c.Name, real.Id, sample);
        var source = RunStore.RolloutSource(c.Name, sample);
        var turns = ImmutableArray.CreateBuilder<Turn>();
        turns.AddRange(real.Turns.Take(start));
        var userTurns = 0;
        // Replay what earlier sessions stored; a model error ends the stored part (that step is redone).
        foreach (var s in stored)
        {
            if (s.Answer.Status == AnswerStatus.ModelError) break;
            if (s.Role == Role.User)
            {
                if (s.Answer.Status == AnswerStatus.Exit) return End(RolloutEnd.Exit);
                if (!s.Answer.IsOk) return End(RolloutEnd.Failed);
                turns.Add(new Turn(Role.User, s.Answer.Value!));
                userTurns++;
                var index = turns.Count - 1;
                if (storedLabels is null || !storedLabels.TryGetValue(index, out var state))
                {
                    var label = await LabelAsync(index);
                    if (label is null) return false;
                    state = label.IsOk ? label.Value : null;
                }
                if (state?.Stage == Stage.Deciding) return End(RolloutEnd.Decision);
            }
            else
            {
                if (s.Answer.Status == AnswerStatus.Empty) return End(RolloutEnd.AgentEnded);
                if (!s.Answer.IsOk) return End(RolloutEnd.Failed);
                turns.Add(new Turn(Role.Agent, s.Answer.Value!));
            }
        }
        while (true)
        {
            var step = turns.Count - start;
            var history = real with { Turns = turns.ToImmutable() };
            if (step % 2 == 0)
            {
                if (userTurns >= plan.Options.MaxUserTurns) return End(RolloutEnd.Cap);
                var answer = await _recorder.RecordAsync(
                    ct => c.Simulator.ReplyAsync(new SimulationRequest(history, turns.Count, sample) { OfferExit = plan.OfferExit, Real = real }, ct), null,
                    (s, a) => s.AddRolloutStep(key, step, Role.User, a));
                if (answer is null || answer.Status == AnswerStatus.ModelError) return false;
                if (answer.Status == AnswerStatus.Exit) return End(RolloutEnd.Exit);
                if (!answer.IsOk) return End(RolloutEnd.Failed);
                turns.Add(new Turn(Role.User, answer.Value!));
                userTurns++;
                var label = await LabelAsync(turns.Count - 1);
                if (label is null) return false;
                if (label.IsOk && label.Value!.Stage == Stage.Deciding) return End(RolloutEnd.Decision);
            }
            else
            {
                var answer = await _recorder.RecordAsync(ct => c.Agent.ReplyAsync(new AgentRequest(history, turns.Count, real, sample), ct), null,
                    (s, a) => s.AddRolloutStep(key, step, Role.Agent, a));
                if (answer is null || answer.Status == AnswerStatus.ModelError) return false;
                if (answer.Status == AnswerStatus.Empty) return End(RolloutEnd.AgentEnded);
                if (!answer.IsOk) return End(RolloutEnd.Failed);
                turns.Add(new Turn(Role.Agent, answer.Value!));
            }
        }

        // The label of the user turn at index (null: the session stopped or the call failed; retried next session).
        async Task<Answer<DecisionState>?> LabelAsync(int index)
        {
            var conversation = real with { Turns = turns.ToImmutable() };
            var label = await _recorder.RecordAsync(ct => c.Instrument.LabelAsync(new LabelRequest(conversation, index), ct), null,
                (s, a) => s.AddLabel(c.Instrument.Name, real.Id, index, source, a));
            return label is null || label.Status == AnswerStatus.ModelError ? null : label;
        }

        bool End(RolloutEnd end)
        {
            if (_recorder.Token.IsCancellationRequested) return false;
            _store.EndRollout(key, new RolloutRecord(start, end, userTurns, plan.Options.MaxUserTurns));
            return true;
        }
    }
}
