using System.Globalization;
using Dfid.Components;
using Dfid.Corpus;
using Dfid.Embeddings;
using Dfid.Instrument;
using Dfid.Instrument.Learned;

namespace Dfid.Willingness;

/// <summary>What the willingness model says about the user whose turn is due.</summary>
/// <param name="PConverted">P(this user converts | the history).</param>
/// <param name="Hazard">P(this user leaves now instead of replying | the history, the user does not convert): the discrete-time
/// hazard of exit of an unwilling user (converters are cut at their decision and never exit).</param>
/// <param name="Fold">The fold whose model served this history (it never saw that conversation's outcome); null: the model
/// fitted on every training conversation (the conversation was not among them).</param>
public readonly record struct WillingnessEstimate(double PConverted, double Hazard, int? Fold)
{
    /// <summary>P(the user leaves now) = (1 − P(converted)) · hazard.</summary>
    public double PExit => (1 - PConverted) * Hazard;

    /// <summary>"fold-K" or "full": which model served the estimate.</summary>
    public string Model => Fold is { } f ? "fold-" + f.ToString(CultureInfo.InvariantCulture) : "full";
}

/// <summary>
/// The willingness model learned from real trajectories (protocol, "Closing the gap"): from the history alone, the
/// probability that this user converts and the hazard that they leave at this turn. Two logistic models (outcome; exit
/// hazard of non-converters, discrete time) over the features of <see cref="WillingnessFeatures"/>, trained by the learned
/// instrument's L-BFGS softmax, cross-fitted by conversation folds and cached by training hash.
/// </summary>
/// <remarks>
/// Cross-fitting: a conversation of the training corpus is always served by the model of its fold, fitted on the other
/// folds only, so the model that gates its simulated turns never saw its outcome (<see cref="TrainingSetOf"/>); other
/// conversations are served by the model fitted on all. The fold is chosen by the conversation's key (dataset and id), which
/// a rollout history keeps. Thread-safe.
/// </remarks>
public sealed class WillingnessModel
{
    private readonly WillingnessWeights _weights;
    private readonly StageProbabilities _stages;
    private readonly ITextEmbedder _embedder;

    internal WillingnessModel(WillingnessWeights weights, StageProbabilities stages, ITextEmbedder embedder)
    {
        if (weights.EmbeddingDimensions != embedder.Dimensions)
            throw new DfidException($"willingness model expects {weights.EmbeddingDimensions}-d embeddings but the embedder gives {embedder.Dimensions}; retrain with this embedder.", 1);
        _weights = weights;
        _stages = stages;
        _embedder = embedder;
    }

    /// <summary>SHA-256 of the training data, features, options and stage model; names the cached model file.</summary>
    public string TrainingHash => _weights.TrainingHash;

    /// <summary>Training hash of the learned stage model whose probabilities are features.</summary>
    public string StageModelHash => _weights.StageModelHash;

    /// <summary>Number of folds.</summary>
    public int Folds => _weights.Folds;

    /// <summary>Training conversations (and of them converted).</summary>
    public (int All, int Converted) TrainingConversations => (_weights.Conversations, _weights.Converted);

    /// <summary>Points of the outcome model, at-risk points and real exits of the hazard model.</summary>
    public (int OutcomeRows, int HazardRows, int Exits) TrainingRows => (_weights.OutcomeRows, _weights.HazardRows, _weights.HazardEvents);

    internal WillingnessWeights Weights => _weights;

    internal StageProbabilities Stages => _stages;

    internal ITextEmbedder Embedder => _embedder;

    /// <summary>Whether <paramref name="conversation"/> was in the training data (it is then served out-of-fold).</summary>
    public bool IsTrainingConversation(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        return _weights.FoldOf.ContainsKey(LearnedModel.Key(conversation));
    }

    /// <summary>The keys (dataset/id) of the conversations whose outcomes fitted the model that serves
    /// <paramref name="conversation"/>: every training conversation outside its fold, or all of them when it is not one.</summary>
    public IReadOnlySet<string> TrainingSetOf(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var fold = _weights.FoldOf.TryGetValue(LearnedModel.Key(conversation), out var f) ? f : (int?)null;
        return _weights.FoldOf.Where(kv => fold is null || kv.Value != fold).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The estimate for the user turn due at <paramref name="turnIndex"/> of <paramref name="history"/> (only the turns
    /// before it are read).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="turnIndex"/> is outside [1, turns].</exception>
    public WillingnessEstimate Estimate(Conversation history, int turnIndex, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentOutOfRangeException.ThrowIfLessThan(turnIndex, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(turnIndex, history.Turns.Length);
        return Estimate([new WillingnessPoint(history, turnIndex)], cancellationToken)[0];
    }

    internal WillingnessEstimate[] Estimate(IReadOnlyList<WillingnessPoint> points, CancellationToken ct) =>
        Apply(_weights, points.Select(p => LearnedModel.Key(p.Conversation)).ToList(), WillingnessFeatures.Build(points, _stages, _embedder, ct));

    /// <summary>The estimates of rows whose features are built: each by the model of its conversation's fold, or the full model.</summary>
    internal static WillingnessEstimate[] Apply(WillingnessWeights w, IReadOnlyList<string> keys, float[][] features)
    {
        var result = new WillingnessEstimate[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            int? fold = w.FoldOf.TryGetValue(keys[i], out var f) ? f : null;
            var (outcome, hazard) = fold is { } k ? (w.OutcomeFolds[k], w.HazardFolds[k]) : (w.OutcomeFull, w.HazardFull);
            result[i] = new WillingnessEstimate(WillingnessTrainer.Probability(outcome, features[i]), WillingnessTrainer.Probability(hazard, features[i]), fold);
        }
        return result;
    }

    /// <summary>
    /// Loads the model trained on <paramref name="trainingCorpus"/> from the cache folder, or trains and saves it. Its features
    /// include <paramref name="stageModel"/>'s stage probabilities of the user turns (out-of-fold for its own training conversations).
    /// </summary>
    /// <exception cref="DfidException">Too few conversations of an outcome to cross-fit.</exception>
    public static Task<WillingnessModel> LoadOrTrainAsync(WillingnessOptions options, IReadOnlyList<Conversation> trainingCorpus,
        LearnedInstrument stageModel, ITextEmbedder embedder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(trainingCorpus);
        ArgumentNullException.ThrowIfNull(stageModel);
        ArgumentNullException.ThrowIfNull(embedder);
        // CPU-bound: off the caller's thread.
        return Task.Run(() =>
        {
            var stages = new StageProbabilities(stageModel);
            var weights = WillingnessTrainer.LoadOrTrain(options, WillingnessData.From(trainingCorpus), stages, embedder, cancellationToken);
            return new WillingnessModel(weights, stages, embedder);
        }, cancellationToken);
    }

    /// <summary>The model of a context's corpus (<paramref name="sample"/>: of its sample) and learned stage model, loaded or
    /// trained once per context and shared by every component that asks.</summary>
    internal static Task<WillingnessModel> SharedAsync(ComponentContext context, bool sample, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.SharedAsync("willingness:" + (sample ? "sample" : "corpus"), async () =>
        {
            var stageModel = await InstrumentKinds.LearnedStageModelAsync(context, ct);
            var options = new WillingnessOptions { CacheDirectory = WillingnessOptions.CacheDirectoryIn(context.CacheFolder), Progress = context.Log };
            return await LoadOrTrainAsync(options, sample ? context.Sample : context.Corpus, stageModel, context.Embedder, ct);
        });
    }
}
