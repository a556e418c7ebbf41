using Dfid.Corpus;
using Dfid.Embeddings;
using Dfid.Instrument.Learned;

namespace Dfid.Instrument;

/// <summary>
/// Offline agent-action labeller (kind <c>learned</c>): the learned instrument's machinery trained on agent turns whose
/// <see cref="ActMapping.ActionLabelSet"/> acts map to an action (features: the agent turn and the user turn before it).
/// </summary>
/// <remarks>Out-of-fold for training conversations, like <see cref="LearnedInstrument"/>. Thread-safe.</remarks>
public sealed class LearnedActionLabeller : IAgentActionLabeller
{
    private readonly LearnedScorer _scorer;

    private LearnedActionLabeller(LearnedScorer scorer) => _scorer = scorer;

    /// <inheritdoc/>
    public string Name => "learned";

    /// <summary>SHA-256 of the training data, mapping, features and options.</summary>
    public string TrainingHash => _scorer.Model.TrainingHash;

    /// <summary>Loads the cached model for <paramref name="trainingCorpus"/> or trains and saves it.</summary>
    /// <exception cref="DfidException">Too few labelled conversations, or an act missing from the mapping.</exception>
    public static Task<LearnedActionLabeller> LoadOrTrainAsync(LearnedInstrumentOptions options, IReadOnlyList<Conversation> trainingCorpus,
        ITextEmbedder embedder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(trainingCorpus);
        ArgumentNullException.ThrowIfNull(embedder);
        return Task.Run(() =>
        {
            var model = LearnedTrainer.LoadOrTrain(LearnedTarget.Action, [.. StateNames.All<AgentAction>()], options, trainingCorpus, embedder, cancellationToken);
            LearnedScorer.CheckDimensions(model, embedder);
            return new LearnedActionLabeller(new LearnedScorer(model, embedder));
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<Answer<AgentAction>> LabelAsync(Conversation conversation, int agentTurnIndex, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        ArgumentOutOfRangeException.ThrowIfNegative(agentTurnIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(agentTurnIndex, conversation.Turns.Length);
        var s = _scorer.Score([(conversation, agentTurnIndex, conversation.Turns[agentTurnIndex].Text)], cancellationToken)[0];
        return Task.FromResult(Answer<AgentAction>.Ok((AgentAction)s.Label));
    }
}
