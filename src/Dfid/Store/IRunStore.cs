using Dfid.Corpus;

namespace Dfid.Store;

/// <summary>Where a run records its answers: every simulated turn, label and action label, as soon as it arrives.</summary>
/// <remarks>
/// Every write is one row under a unique key in its own transaction, so a session killed at any point keeps everything it
/// finished. A row whose status is <see cref="AnswerStatus.ModelError"/> is kept as data but replaced by the next answer for
/// the same key (a dropped connection is not an answer); any other row is final. Implementations are thread-safe.
/// </remarks>
public interface IRunStoreWriter
{
    /// <summary>Records a simulated user turn of <paramref name="simulator"/> at a probe.</summary>
    void AddSimulatedTurn(string simulator, string conversationId, int turnIndex, int sampleIndex, Answer<string> turn);

    /// <summary>Records a label of a user turn; <paramref name="source"/> says which text was labelled (<see cref="LabelSource"/>).</summary>
    void AddLabel(string instrument, string conversationId, int turnIndex, string source, Answer<DecisionState> label);

    /// <summary>Records the action label of an agent turn.</summary>
    void AddAction(string labeller, string conversationId, int agentTurnIndex, Answer<AgentAction> action);

    /// <summary>Records one step of a rollout (a simulated user turn or an agent turn).</summary>
    void AddRolloutStep(RolloutKey key, int step, Role role, Answer<string> answer);
}

/// <summary>Reads the probe table, the analysis input, from a run store.</summary>
public interface IProbeTableReader
{
    /// <summary>
    /// One row per (condition, probe) whose work is finished (pending probes are left out); failed answers are rows with
    /// their status, never dropped. The conversations and conditions come along, read in the same pass.
    /// </summary>
    /// <param name="includeTexts">Also load the agent turn, real and simulated reply (for the report's examples).</param>
    ProbeTable ReadProbeTable(bool includeTexts = false);
}

/// <summary>The probe table of a run with what it refers to.</summary>
/// <param name="Rows">The depth-probe rows (no human stages: those come from the run's human labels, not the store).</param>
/// <param name="Conversations">The run's conversations by id.</param>
/// <param name="Conditions">The conditions in experiment order.</param>
public sealed record ProbeTable(IReadOnlyList<ProbeRow> Rows, IReadOnlyDictionary<string, Conversation> Conversations, IReadOnlyList<StoredCondition> Conditions)
{
    /// <summary>The exit measurement: one row per (probe condition, probe) where the exit channel was offered, real exit points included.</summary>
    public IReadOnlyList<ExitProbeRow> ExitRows { get; init; } = [];

    /// <summary>The finished rollouts.</summary>
    public IReadOnlyList<RolloutRow> Rollouts { get; init; } = [];

    /// <summary>The rollouts' turns (with texts when read with texts).</summary>
    public IReadOnlyList<RolloutTurn> RolloutTurns { get; init; } = [];

    /// <summary>The real continuation of each rolled-out conversation (read with texts only), for the report's examples.</summary>
    public IReadOnlyList<RealContinuation> RealContinuations { get; init; } = [];
}

/// <summary>A condition as the store keeps it.</summary>
/// <param name="Name">Condition name.</param>
/// <param name="Simulator">Simulator name.</param>
/// <param name="Instrument">Instrument name.</param>
public sealed record StoredCondition(string Name, string Simulator, string Instrument)
{
    /// <summary>Teacher-forced probes or rollouts.</summary>
    public ConditionMode Mode { get; init; } = ConditionMode.Probe;

    /// <summary>The agent of a rollout condition.</summary>
    public string? Agent { get; init; }

    /// <summary>The key its depth probes' simulated turns are stored under (<see cref="SimulatorKey.Of"/>); the simulator's name by default.</summary>
    public string? DepthKey { get; init; }

    /// <summary>The key its exit-channel simulations (exit probes and the continuation points beside them) are stored under; null when exits are not measured.</summary>
    public string? ExitKey { get; init; }
}

/// <summary>Under which name a simulator's turns are stored: the simulator's name, or with <c>#exit</c> when the exit channel was
/// offered (another prompt, so another answer; both can exist for one probe).</summary>
public static class SimulatorKey
{
    /// <summary>The store key of <paramref name="simulator"/>'s turns with or without the exit channel.</summary>
    public static string Of(string simulator, bool exitChannel) => exitChannel ? simulator + "#exit" : simulator;
}

/// <summary>Which text of a probe a label is for.</summary>
public static class LabelSource
{
    /// <summary>The real user turn.</summary>
    public const string Real = "real";

    /// <summary>The real turn labelled with the full conversation (the hindsight check).</summary>
    public const string RealFull = "real_full";

    /// <summary>The simulated turn of <paramref name="simulator"/>.</summary>
    public static string Simulated(string simulator) => "sim:" + simulator;
}
