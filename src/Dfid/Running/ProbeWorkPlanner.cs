using Dfid.Corpus;
using Dfid.Instrument;
using Dfid.Simulation;
using Dfid.Store;

namespace Dfid.Running;

/// <summary>One probe's work still to do: which labels, simulations and action label are missing from the store.</summary>
/// <param name="Probe">The probe.</param>
/// <param name="Conversation">Its conversation.</param>
/// <param name="RealLabels">Instruments whose label of the real turn is missing.</param>
/// <param name="HindsightLabels">Instruments whose full-context label of the real turn is missing.</param>
/// <param name="Simulations">Per simulator: the simulated turn (stored or to write) and the labels it still needs.</param>
/// <param name="Action">The agent turn before the probe and its labeller, when that label is missing.</param>
/// <param name="ConditionsPending">Conditions this probe finishes once the work is done.</param>
internal sealed record ProbeWork(
    Probe Probe,
    Conversation Conversation,
    IReadOnlyList<IInstrument> RealLabels,
    IReadOnlyList<IInstrument> HindsightLabels,
    IReadOnlyList<SimulationWork> Simulations,
    ActionWork? Action,
    IReadOnlyList<string> ConditionsPending);

/// <summary>A simulator's work at one probe.</summary>
/// <param name="Simulator">The simulator.</param>
/// <param name="Key">The store key of its turn (<see cref="SimulatorKey"/>: with or without the exit channel).</param>
/// <param name="OfferExit">Whether the exit channel is offered.</param>
/// <param name="StoredReply">The reply an earlier session stored (then only labels are missing), or null.</param>
/// <param name="Labels">Instruments that still have to label the reply.</param>
internal sealed record SimulationWork(IUserSimulator Simulator, string Key, bool OfferExit, string? StoredReply, IReadOnlyList<IInstrument> Labels);

/// <summary>The action label missing for the agent turn before a probe.</summary>
/// <param name="Labeller">The labeller.</param>
/// <param name="AgentTurn">Index of the agent turn.</param>
internal sealed record ActionWork(IAgentActionLabeller Labeller, int AgentTurn);

/// <summary>What a plan still needs, and how much every condition already has.</summary>
/// <param name="Pending">Probes with work left, in plan order.</param>
/// <param name="ConditionsDone">Per condition, probes already finished.</param>
internal sealed record ProbeWorkPlan(IReadOnlyList<ProbeWork> Pending, IReadOnlyDictionary<string, int> ConditionsDone);

/// <summary>
/// Compares a plan with the store's finished work (model errors count as not done, so they are retried) and lists what is
/// left, probe by probe. Every way of executing a run (online, batched by phase) starts from this list.
/// </summary>
internal static class ProbeWorkPlanner
{
    public static ProbeWorkPlan Plan(ProbeRunPlan plan, RunStore store)
    {
        var done = store.ReadDoneKeys();
        var byId = plan.Conversations.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var instruments = plan.Conditions.Select(c => c.Instrument).DistinctBy(i => i.Name).ToList();
        var simulators = plan.Conditions.Select(c => c.Simulator).DistinctBy(s => s.Name).ToList();
        var conditionsDone = plan.Conditions.ToDictionary(c => c.Name, _ => 0, StringComparer.Ordinal);
        var pending = new List<ProbeWork>();
        // Most probes need the same work (all of it, on a fresh run): equal lists are shared, so a plan of 300,000 probes
        // costs a record per probe rather than five lists per probe.
        var shared = new Dictionary<string, object>(StringComparer.Ordinal);
        IReadOnlyList<T> Shared<T>(List<T> items, Func<T, string> key) where T : class
        {
            if (items.Count == 0) return [];
            var k = typeof(T).Name + "\u0001" + string.Join("\u0001", items.Select(key));
            if (shared.TryGetValue(k, out var list)) return (IReadOnlyList<T>)list;
            shared[k] = items;
            return items;
        }
        foreach (var p in plan.Probes)
        {
            var conv = byId[p.ConversationId];
            var depth = p.Kind == ProbeKind.Depth;
            var real = depth ? instruments.Where(i => !done.Labels.Contains((i.Name, p.ConversationId, p.TurnIndex, LabelSource.Real))).ToList() : [];
            var hindsight = depth ? plan.HindsightInstruments.Where(i => !done.Labels.Contains((i.Name, p.ConversationId, p.TurnIndex, LabelSource.RealFull))).ToList() : [];
            var sims = new List<SimulationWork>();
            var depthDone = new HashSet<string>(StringComparer.Ordinal);
            foreach (var sim in simulators)
            {
                var depthKey = plan.DepthKey(sim.Name);
                if (depth)
                {
                    var labels = plan.Conditions.Where(c => c.Simulator.Name == sim.Name).Select(c => c.Instrument).DistinctBy(i => i.Name)
                        .Where(i => !done.Labels.Contains((i.Name, p.ConversationId, p.TurnIndex, LabelSource.Simulated(depthKey)))).ToList();
                    if (Work(sim, depthKey, plan.ExitChannel == ExitChannel.On, labels) is { } w) sims.Add(w);
                    else depthDone.Add(sim.Name);
                }
                // The exit measurement: the same probe (or the real exit point) with the exit channel, unless that is the depth turn.
                if (plan.ExitKey(sim.Name) is { } exitKey && !(depth && exitKey == depthKey) && Work(sim, exitKey, plan.ExitChannel != ExitChannel.Off, []) is { } e)
                    sims.Add(e);
            }
            ActionWork? action = null;
            if (depth && plan.Actions is { } labeller && conv.LastTurnBefore(p.TurnIndex, Role.Agent) is var at and >= 0 && !done.Actions.Contains((labeller.Name, p.ConversationId, at)))
                action = new ActionWork(labeller, at);
            var conditionsPending = plan.Conditions
                .Where(c => real.Contains(c.Instrument) || sims.Any(s => s.Simulator == c.Simulator && (s.StoredReply is null || s.Labels.Contains(c.Instrument))))
                .Select(c => c.Name).ToList();
            foreach (var c in plan.Conditions.Where(c => !conditionsPending.Contains(c.Name))) conditionsDone[c.Name]++;
            if (real.Count > 0 || hindsight.Count > 0 || sims.Count > 0 || action is not null)
                pending.Add(new ProbeWork(p, conv, Shared(real, i => i.Name), Shared(hindsight, i => i.Name),
                    sims.All(s => s.StoredReply is null)
                        ? Shared(sims, s => string.Join("\u0002", [s.Simulator.Name, s.Key, s.OfferExit ? "exit" : "", .. s.Labels.Select(i => i.Name)]))
                        : sims,
                    action, Shared(conditionsPending, c => c)));

            // A simulator's turn under a key: nothing when it is stored and needs no more labels (or is a final failure or an exit).
            SimulationWork? Work(IUserSimulator sim, string key, bool offerExit, List<IInstrument> labels)
            {
                var stored = done.SimulatedTurns.Contains((key, p.ConversationId, p.TurnIndex, 0));
                var ok = done.SuccessfulSimulations.Contains((key, p.ConversationId, p.TurnIndex, 0));
                if (stored && (!ok || labels.Count == 0)) return null;
                return new SimulationWork(sim, key, offerExit, stored ? store.ReadSimulatedTurn(key, p.ConversationId, p.TurnIndex)?.Value : null, Shared(labels, i => i.Name));
            }
        }
        return new ProbeWorkPlan(pending, conditionsDone);
    }
}
