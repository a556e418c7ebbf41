
namespace Dfid.Core;

/// <summary>Whether a probe of a condition produced both labels.</summary>
public enum ProbeStatus
{
    /// <summary>Real and simulated labels are both present.</summary>
    Ok,
    /// <summary>The simulator failed (model error, empty answer, refusal).</summary>
    SimulationFailed,
    /// <summary>The instrument failed on the real turn.</summary>
    RealLabelFailed,
    /// <summary>The instrument failed on the simulated turn.</summary>
    SimLabelFailed,
}

/// <summary>One (condition, probe) row of the probe table: the analysis input, read from the run store.</summary>
/// <param name="Condition">Condition name.</param>
/// <param name="ConversationId">Conversation id.</param>
/// <param name="Converted">Real outcome of the conversation.</param>
/// <param name="ProbeTurn">Index of the probed user turn in the conversation.</param>
/// <param name="Position">Nominal probe position (0.3, 0.6, 0.9) or the relative position for <c>all</c>.</param>
/// <param name="Real">Instrument state of the real turn (null when it failed).</param>
/// <param name="Sim">Instrument state of the simulated turn (null when it failed).</param>
/// <param name="Action">Agent action of the preceding agent turn, when labelled.</param>
/// <param name="Status">Whether both labels exist.</param>
/// <param name="RealFullContext">Hindsight check: the real turn labelled with the full conversation, when run.</param>
/// <param name="HumanStage">Human gold stage for the real turn, when the corpus has one (prediction-powered correction).</param>
/// <param name="Texts">The texts behind the probe (for the report's examples), when the reader loads them.</param>
public sealed record ProbeRow(
    string Condition,
    string ConversationId,
    bool Converted,
    int ProbeTurn,
    double Position,
    DecisionState? Real,
    DecisionState? Sim,
    AgentAction? Action,
    ProbeStatus Status,
    DecisionState? RealFullContext = null,
    Stage? HumanStage = null,
    ProbeTexts? Texts = null);

/// <summary>The words behind one probe: the agent turn before it, the real reply and the simulated one.</summary>
/// <param name="AgentTurn">The last agent turn before the probe (empty when none).</param>
/// <param name="RealReply">What the real user said.</param>
/// <param name="SimReply">What the simulator said (null when it failed).</param>
/// <param name="SimGate">A gated simulator's drawn state and its probability (the <c>gate:</c> line of the raw answer), else null.</param>
public sealed record ProbeTexts(string AgentTurn, string RealReply, string? SimReply, string? SimGate = null);
