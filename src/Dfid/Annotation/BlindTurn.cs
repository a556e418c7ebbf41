using Dfid.Corpus;

namespace Dfid.Annotation;

/// <summary>An earlier turn shown as context.</summary>
/// <param name="Index">Index of the turn in the conversation.</param>
/// <param name="Role">Who spoke it.</param>
/// <param name="Text">What was said.</param>
internal sealed record ContextTurn(int Index, Role Role, string Text);

/// <summary>
/// What an annotator sees of one task: the turns before the labelled user turn and the turn itself, and nothing
/// else: no later turn, no outcome, no conversation id, profile, metadata, timestamps or annotations, since any of
/// them can reveal how the conversation ended (blind labelling).
/// </summary>
/// <param name="Number">The task's number in the session.</param>
/// <param name="TurnIndex">Index of the labelled turn in the conversation.</param>
/// <param name="Context">Every earlier turn, in order.</param>
/// <param name="Text">The labelled user turn.</param>
/// <param name="AgentTurnIndex">Index of the agent turn right before (one of <paramref name="Context"/>), the turn the action task labels.</param>
internal sealed record BlindTurn(int Number, int TurnIndex, IReadOnlyList<ContextTurn> Context, string Text, int AgentTurnIndex)
{
    /// <summary>The view of <paramref name="task"/> in <paramref name="conversation"/>.</summary>
    /// <exception cref="ArgumentException">The task does not belong to the conversation or its turn is not a user turn.</exception>
    public static BlindTurn For(Conversation conversation, LabellingTask task)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        ArgumentNullException.ThrowIfNull(task);
        if (conversation.Id != task.ConversationId)
            throw new ArgumentException($"task {task.Number} belongs to conversation '{task.ConversationId}', not '{conversation.Id}'.", nameof(task));
        if ((uint)task.TurnIndex >= (uint)conversation.Turns.Length || conversation.Turns[task.TurnIndex].Role != Role.User)
            throw new ArgumentException($"task {task.Number}: turn {task.TurnIndex} of '{conversation.Id}' is not a user turn.", nameof(task));
        var context = new ContextTurn[task.TurnIndex];
        for (var i = 0; i < task.TurnIndex; i++) context[i] = new ContextTurn(i, conversation.Turns[i].Role, conversation.Turns[i].Text);
        return new BlindTurn(task.Number, task.TurnIndex, context, conversation.Turns[task.TurnIndex].Text, task.AgentTurnIndex);
    }
}
