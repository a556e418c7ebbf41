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

    private LearnedInstrument(LearnedScorer scorer, string name, LearnedTraining? training = null)
    {
        _scorer = scorer;
        Name = name;
        Training = training;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The same trained instrument under another name (the name an experiment gives it; store keys use it).</summary>
    public LearnedInstrument WithName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new LearnedInstrument(_scorer, name, Training);
    }

    /// <summary>What it was trained on and how it validated there, when its training sources were named (<c>train:</c>);
    /// null when it was trained on the run's own corpus.</summary>
    public LearnedTraining? Training { get; }

    /// <summary>The same trained instrument carrying <paramref name="training"/>.</summary>
    public LearnedInstrument WithTraining(LearnedTraining training)
    {
        ArgumentNullException.ThrowIfNull(training);
        return new LearnedInstrument(_scorer, Name, training);
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

    /// <summary>
    /// Loads the model trained on the human-labelled turns of <paramref name="training"/> (corpora with mapped acts, labels
    /// files) from the cache folder, or trains and saves it. The training hash covers the sources and every turn.
    /// </summary>
    /// <exception cref="DfidException">Too few labelled conversations.</exception>
    public static Task<LearnedInstrument> LoadOrTrainAsync(LearnedInstrumentOptions options, TrainingSet training,
        ITextEmbedder embedder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(embedder);
        return Task.Run(() =>
        {
            var model = LearnedTrainer.LoadOrTrain(LearnedTarget.Stage, [.. StateNames.All<Stage>()], options, training.Conversations, embedder,
                cancellationToken, training.StageOf, training.Identity);
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

/// <summary>
/// What a learned instrument was trained on when its sources were named (<c>train:</c>), how it validated there, and how
/// much of the run it was trained on.
/// </summary>
/// <param name="Sources">The training sources and what each contributed.</param>
/// <param name="OutOfFold">Its agreement with the training labels, each turn labelled by the fold model that did not see
/// the turn's conversation: how it validated where it was trained.</param>
/// <param name="RunConversations">The run's conversations.</param>
/// <param name="RunConversationsInTraining">Of those, the ones it was trained on (labelled out of fold).</param>
/// <param name="RunDataset">The run corpus's dataset, when known.</param>
public sealed record LearnedTraining(IReadOnlyList<TrainingSourceSummary> Sources, ValidationReport OutOfFold, int RunConversations,
    int RunConversationsInTraining, string? RunDataset)
{
    /// <summary>Applied out of domain: none of the run's conversations was in its training data, so its agreement with human
    /// labels there is unknown until it is validated on labels of this corpus (<c>dfid instrument validate --labels</c>).</summary>
    public bool AppliedOutOfDomain => RunConversationsInTraining == 0;
}
