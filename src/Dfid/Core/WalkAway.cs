namespace Dfid.Core;

/// <summary>
/// One (condition, probe) of the walk-away measurement with the exit channel offered: at a real exit point (the history up
/// to the last agent turn of a non-converted conversation that the real user never answered) the real branch is an exit;
/// at an ordinary probe it is a continuation. The simulator exits or writes a turn.
/// </summary>
/// <param name="Condition">Condition name.</param>
/// <param name="ConversationId">Conversation id.</param>
/// <param name="Converted">The conversation's real outcome.</param>
/// <param name="TurnIndex">Index where the user's turn stands (at a real exit point: one past the last turn).</param>
/// <param name="Position">Nominal probe position; 1 at a real exit point.</param>
/// <param name="RealExit">Whether the real user left here (true only at real exit points).</param>
/// <param name="SimExit">Whether the simulated user left here; null when the simulation failed.</param>
/// <param name="Status">Whether the simulation produced an answer (<see cref="ProbeStatus.Ok"/> or <see cref="ProbeStatus.SimulationFailed"/>).</param>
public sealed record ExitProbeRow(string Condition, string ConversationId, bool Converted, int TurnIndex, double Position, bool RealExit, bool? SimExit, ProbeStatus Status);

/// <summary>How a free-running rollout ended.</summary>
public enum RolloutEnd
{
    /// <summary>The simulated user left (the exit channel).</summary>
    Exit,
    /// <summary>The instrument labelled a simulated user turn <see cref="Stage.Deciding"/> (a simulated conversion).</summary>
    Decision,
    /// <summary>The turn cap was reached (censored).</summary>
    Cap,
    /// <summary>The agent had nothing more to say (a replay agent past the real conversation's last agent turn): censored.</summary>
    AgentEnded,
    /// <summary>A final failure (empty answer, refusal, invalid label) ended the rollout: censored, counted.</summary>
    Failed,
}

/// <summary>
/// One rollout: from a real prefix (the probe position <c>start</c>), the simulated user and an agent alternate until the
/// user exits, a decision is detected, or the cap. Carries what the walk-away statistics and the rollout Δ need, with the
/// real continuation of the same conversation beside it.
/// </summary>
/// <param name="Condition">Condition name (a rollout condition: simulator, agent, instrument).</param>
/// <param name="ConversationId">Conversation id.</param>
/// <param name="Converted">The conversation's real outcome.</param>
/// <param name="Sample">Which of the K rollouts of this conversation (0-based).</param>
/// <param name="StartTurn">Index of the real user turn the rollout replaces first (the real prefix is the turns before it).</param>
/// <param name="Cap">The user-turn cap (<c>max_user_turns</c>).</param>
/// <param name="UserTurns">Simulated user turns written (an exit is not a turn).</param>
/// <param name="End">How the rollout ended.</param>
/// <param name="SimStages">The instrument's stage of each simulated user turn, in order (null where labelling failed).</param>
/// <param name="RealUserTurns">Real user turns from <paramref name="StartTurn"/> to the end of the real conversation (before its decision, if converted).</param>
/// <param name="RealExit">Whether the real user walked away: not converted and the conversation ends on an agent turn the user never answered.</param>
/// <param name="RealStages">The instrument's stage of each of those real user turns, in order (null where unlabelled or failed); at most <paramref name="Cap"/>.</param>
public sealed record RolloutRow(
    string Condition,
    string ConversationId,
    bool Converted,
    int Sample,
    int StartTurn,
    int Cap,
    int UserTurns,
    RolloutEnd End,
    IReadOnlyList<Stage?> SimStages,
    int RealUserTurns,
    bool RealExit,
    IReadOnlyList<Stage?> RealStages);

/// <summary>One turn of a rollout as stored, for exports and the report's examples.</summary>
/// <param name="Condition">Condition name.</param>
/// <param name="ConversationId">Conversation id.</param>
/// <param name="Sample">Which rollout of the conversation.</param>
/// <param name="Step">0-based step after the real prefix (user and agent turns alternate; the user writes first).</param>
/// <param name="Role">"user" or "agent".</param>
/// <param name="Text">What was written (null for an exit or a failure).</param>
/// <param name="Stage">The instrument's stage of a user turn (null for agent turns, exits and failures).</param>
/// <param name="Status">The answer's status: ok, exit, empty, refusal, invalid-answer, model-error.</param>
/// <param name="Gate">A gated simulator's drawn state and its probability (the <c>gate:</c> line of the raw answer), else null.</param>
public sealed record RolloutTurn(string Condition, string ConversationId, int Sample, int Step, string Role, string? Text, Stage? Stage, string Status,
    string? Gate = null);

/// <summary>
/// The real continuation of a conversation from a rollout's start: what the real user and agent actually said from
/// <see cref="StartTurn"/> on, shown beside a rollout in the report's examples. Supplied by the caller of the analysis
/// (read from the corpus); the analysis only copies texts into examples, it never computes from them.
/// </summary>
/// <param name="ConversationId">Conversation id.</param>
/// <param name="StartTurn">Index of the first real user turn a rollout replaces (equals <see cref="RolloutRow.StartTurn"/>).</param>
/// <param name="Context">The last agent turn of the real prefix (what both branches answered first); null when none.</param>
/// <param name="Turns">The real turns from <paramref name="StartTurn"/> to the end of the (cut) conversation, in order;
/// step i of a rollout stands beside <c>Turns[i]</c>.</param>
public sealed record RealContinuation(string ConversationId, int StartTurn, string? Context, IReadOnlyList<ContinuationTurn> Turns);

/// <summary>One real turn of a <see cref="RealContinuation"/>.</summary>
/// <param name="Role">"user" or "agent".</param>
/// <param name="Text">What was said.</param>
/// <param name="Stage">The instrument's stage of a user turn, when labelled (null for agent turns).</param>
public sealed record ContinuationTurn(string Role, string Text, Stage? Stage = null);
