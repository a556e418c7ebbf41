using System.Globalization;
using System.Text;
using Dfid.Corpus;
using Dfid.Embeddings;
using Dfid.Instrument.Learned;

namespace Dfid.Instrument;

/// <summary>
/// The offline learned instrument (kind <c>learned</c>): a multinomial logistic regression trained on human-labelled user
/// turns over MiniLM embeddings of the turn, the agent turn before it and the user's previous turn, the turn's word and
/// character n-grams, its position and length, and its amount and refusal cues ("$0", "no thanks", "not today"), with
/// temperature-calibrated probabilities and a decision rule chosen by nested cross-validation
/// (<see cref="LearnedInstrumentOptions.InnerFolds"/>): a turn whose words refuse is never <c>deciding</c>.
/// </summary>
/// <remarks>
/// Never applied to a conversation it was trained on: a turn (real or simulated text) of a training conversation is
/// labelled by the fold model that excluded that conversation; other conversations use the full model. It gives the
/// stage only (no emotion, blocker, delta or key signal), ignores <see cref="LabelRequest.FullContext"/> (its context is
/// always causal), and returns the calibrated class probabilities as the answer's raw text (the stage is the decision
/// rule's, which need not be the most probable one). Thread-safe.
/// </remarks>
public sealed class LearnedInstrument : IInstrument
{
    private readonly LearnedScorer _scorer;

    private LearnedInstrument(LearnedScorer scorer, string name)
    {
        _scorer = scorer;
        Name = name;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The same trained instrument under another name (the name an experiment gives it; store keys use it).</summary>
    public LearnedInstrument WithName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new LearnedInstrument(_scorer, name);
    }

    /// <summary>SHA-256 of the training data, mapping, features and options; names the cached model file.</summary>
    public string TrainingHash => _scorer.Model.TrainingHash;

    /// <summary>Number of training turns.</summary>
    public int TrainingExamples => _scorer.Model.Examples;

    /// <summary>Number of training conversations.</summary>
    public int TrainingConversations => _scorer.Model.FoldOf.Count;

    /// <summary>Number of folds.</summary>
    public int Folds => _scorer.Model.Folds;

    /// <summary>Training turns per stage, in stage order.</summary>
    public IReadOnlyList<int> TrainingStageCounts => _scorer.Model.ClassCounts;

    /// <summary>
    /// Loads the model trained on <paramref name="trainingCorpus"/> from the cache folder, or trains and saves it.
    /// Training uses the user turns whose <see cref="ActMapping.StageLabelSet"/> annotation maps to a stage.
    /// </summary>
    /// <exception cref="DfidException">Too few labelled conversations, or an act missing from the mapping.</exception>
    public static Task<LearnedInstrument> LoadOrTrainAsync(LearnedInstrumentOptions options, IReadOnlyList<Conversation> trainingCorpus,
        ITextEmbedder embedder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(trainingCorpus);
        ArgumentNullException.ThrowIfNull(embedder);
        // CPU-bound: run off the caller's thread so async callers stay responsive.
        return Task.Run(() =>
        {
            var model = LearnedTrainer.LoadOrTrain(LearnedTarget.Stage, [.. StateNames.All<Stage>()], options, trainingCorpus, embedder, cancellationToken);
            LearnedScorer.CheckDimensions(model, embedder);
            return new LearnedInstrument(new LearnedScorer(model, embedder), "learned");
        }, cancellationToken);
    }

    /// <summary>Whether <paramref name="conversation"/> was in the training data (its turns then get out-of-fold labels).</summary>
    public bool IsTrainingConversation(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        return _scorer.Model.FoldOf.ContainsKey(LearnedModel.Key(conversation));
    }

    /// <inheritdoc/>
    public async Task<Answer<DecisionState>> LabelAsync(LabelRequest request, CancellationToken cancellationToken = default) =>
        (await LabelManyAsync([request], cancellationToken))[0];

    /// <summary>Labels many turns at once (one embedding batch); results are in request order.</summary>
    public Task<IReadOnlyList<Answer<DecisionState>>> LabelManyAsync(IReadOnlyList<LabelRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var items = new (Conversation, int, string)[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            var r = requests[i];
            ArgumentNullException.ThrowIfNull(r);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(r.TurnIndex, r.Conversation.Turns.Length, nameof(requests));
            ArgumentOutOfRangeException.ThrowIfNegative(r.TurnIndex, nameof(requests));
            items[i] = (r.Conversation, r.TurnIndex, r.LabelledText);
        }
        var scored = _scorer.Score(items, cancellationToken);
        IReadOnlyList<Answer<DecisionState>> results = scored
            .Select(s => Answer<DecisionState>.Ok(new DecisionState((Stage)s.Label), null, Raw(s, _scorer.Model.Classes)))
            .ToArray();
        return Task.FromResult(results);
    }

    /// <summary>The trained models (for harnesses and tests).</summary>
    internal Learned.LearnedModel Model => _scorer.Model;

    /// <summary>The calibrated stage probabilities of each request (stage order), as used for its label.</summary>
    internal double[][] Probabilities(IReadOnlyList<LabelRequest> requests, CancellationToken cancellationToken) =>
        [.. _scorer.Score([.. requests.Select(r => (r.Conversation, r.TurnIndex, r.LabelledText))], cancellationToken).Select(s => s.Probabilities)];

    internal static string Raw(Scored s, string[] classes)
    {
        var sb = new StringBuilder("{\"model\":\"");
        sb.Append(s.Fold is { } f ? "fold-" + f.ToString(CultureInfo.InvariantCulture) : "full").Append("\",\"p\":{");
        for (var c = 0; c < classes.Length; c++)
        {
            if (c > 0) sb.Append(',');
            sb.Append('"').Append(classes[c]).Append("\":").Append(s.Probabilities[c].ToString("0.####", CultureInfo.InvariantCulture));
        }
        return sb.Append("}}").ToString();
    }
}
