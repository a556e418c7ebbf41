using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dfid.Corpus;
using Dfid.Instrument.Learned;
using Dfid.Simulation;

namespace Dfid.Willingness;

/// <summary>The latent state a gated simulator drew for one simulated turn.</summary>
public enum GateState
{
    /// <summary>A user who will convert: the base simulator answers as such (retrieval from converters, the persona prompt).</summary>
    Willing,
    /// <summary>A user who will not convert: retrieval from non-converters, the unwilling license.</summary>
    Unwilling,
    /// <summary>An unwilling user who leaves now (drawn only where the exit channel is offered).</summary>
    Exit,
}

/// <summary>What a gated simulator drew for one turn: the state, the model's estimate behind it and the two uniforms.</summary>
/// <param name="State">The drawn state.</param>
/// <param name="Estimate">The willingness model's estimate from the history.</param>
/// <param name="WillingDraw">The uniform compared with P(converted) (willing when below).</param>
/// <param name="ExitDraw">The uniform compared with the hazard (exit when below, for an unwilling user offered the exit).</param>
public sealed record GateDraw(GateState State, WillingnessEstimate Estimate, double WillingDraw, double ExitDraw)
{
    /// <summary>The first line of a gated answer's raw text (<c>raw</c> column of the run store); see docs/results-format.md.</summary>
    public const string Prefix = "gate: ";

    /// <summary>The probability of the drawn state: P(converted), (1 − P(converted))·(1 − hazard) or (1 − P(converted))·hazard
    /// where the exit is offered, 1 − P(converted) where it is not.</summary>
    public double Probability(bool exitOffered)
    {
        var p = Estimate.PConverted;
        return State switch
        {
            GateState.Willing => p,
            GateState.Exit => (1 - p) * Estimate.Hazard,
            _ => exitOffered ? (1 - p) * (1 - Estimate.Hazard) : 1 - p,
        };
    }

    /// <summary>The line stored before the base simulator's raw answer, e.g.
    /// <c>gate: state=unwilling p=0.5810 p_converted=0.3120 hazard=0.1555 u=0.7731 u_exit=0.4210 model=fold-2</c>.</summary>
    public string ToLine(bool exitOffered) => string.Create(CultureInfo.InvariantCulture,
        $"{Prefix}state={Name(State)} p={Probability(exitOffered):0.0000} p_converted={Estimate.PConverted:0.0000} hazard={Estimate.Hazard:0.0000} " +
        $"u={WillingDraw:0.0000} u_exit={ExitDraw:0.0000} exit_offered={(exitOffered ? "yes" : "no")} model={Estimate.Model}");

    /// <summary>The state's stored name (<c>willing</c>, <c>unwilling</c>, <c>exit</c>).</summary>
    public static string Name(GateState state) => state.ToString().ToLowerInvariant();

    /// <summary>The gate line of a stored raw answer (its first line when it starts with <see cref="Prefix"/>), or null.</summary>
    public static string? LineOf(string? raw)
    {
        if (raw is null || !raw.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var end = raw.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? raw : raw[..end];
    }
}

/// <summary>
/// A simulator gated by the willingness model (protocol, "Closing the gap"): at each simulated turn a latent state is
/// drawn from the model's estimate given the history alone (willing with probability P(converted); an unwilling user
/// offered the exit leaves with probability hazard), seeded per (conversation, turn, sample), and it chooses what the base
/// simulator answers from: for retrieval the continuations of other conversations in that state (converted or not), for an
/// LLM the persona prompt or the unwilling license. A drawn exit is the answer (<see cref="AnswerStatus.Exit"/>).
/// </summary>
/// <remarks>
/// The base is never offered the exit itself: whether the user leaves is the hazard model's draw, so exits are neither
/// double-counted nor left to the base's own habits. The drawn state and its probability are the first line of the raw
/// answer. The model that serves a conversation of its training data is the one of that conversation's fold, which never
/// saw its outcome; retrieval never returns the served conversation's own turns. Thread-safe.
/// </remarks>
public sealed class GatedSimulator : IUserSimulator
{
    private readonly IUserSimulator _willing;
    private readonly IUserSimulator _unwilling;

    /// <summary>Creates the gate.</summary>
    /// <param name="name">Name used in run stores.</param>
    /// <param name="model">The cross-fitted willingness model.</param>
    /// <param name="willing">Answers for a drawn willing user.</param>
    /// <param name="unwilling">Answers for a drawn unwilling user who stays.</param>
    /// <param name="seed">Seed of the draws (with the conversation, turn and sample).</param>
    public GatedSimulator(string name, WillingnessModel model, IUserSimulator willing, IUserSimulator unwilling, long seed)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(willing);
        ArgumentNullException.ThrowIfNull(unwilling);
        Name = name;
        Model = model;
        _willing = willing;
        _unwilling = unwilling;
        Seed = seed;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The willingness model.</summary>
    public WillingnessModel Model { get; }

    /// <summary>Seed of the draws.</summary>
    public long Seed { get; }

    /// <summary>The base kind (<c>retrieval</c>, <c>persona</c>, <c>prompt-file</c>), for the manifest.</summary>
    public string Base { get; init; } = "retrieval";

    /// <summary>History turns in the retrieval key, for the manifest.</summary>
    public int ContextTurns { get; init; } = 2;

    /// <summary>The state drawn for <paramref name="request"/>: a pure function of the history before the turn, the seed, the
    /// conversation key, the turn index, the sample index and whether the exit is offered.</summary>
    public GateDraw Draw(SimulationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var estimate = Model.Estimate(request.Conversation, request.ProbeTurnIndex, cancellationToken);
        var (u, uExit) = Uniforms(Seed, LearnedModel.Key(request.Conversation), request.ProbeTurnIndex, request.SampleIndex);
        var state = u < estimate.PConverted ? GateState.Willing
            : request.OfferExit && uExit < estimate.Hazard ? GateState.Exit
            : GateState.Unwilling;
        return new GateDraw(state, estimate, u, uExit);
    }

    /// <inheritdoc/>
    public async Task<Answer<string>> ReplyAsync(SimulationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Features and the two logistic models are CPU-bound (the embeddings are cached); off the caller's thread.
        var draw = await Task.Run(() => Draw(request, cancellationToken), cancellationToken);
        var line = draw.ToLine(request.OfferExit);
        if (draw.State == GateState.Exit) return new Answer<string>(null, AnswerStatus.Exit, null, null, line + "\n" + ReplyCleaner.ExitToken);
        var inner = draw.State == GateState.Willing ? _willing : _unwilling;
        var answer = await inner.ReplyAsync(request with { OfferExit = false }, cancellationToken);
        return answer with { RawAnswer = line + "\n" + answer.RawAnswer };
    }

    /// <summary>Two uniforms on [0, 1) from SHA-256 of (seed, conversation key, turn, sample): the same on every machine,
    /// independent between turns and samples.</summary>
    public static (double Willing, double Exit) Uniforms(long seed, string conversationKey, int turnIndex, int sampleIndex)
    {
        ArgumentNullException.ThrowIfNull(conversationKey);
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"dfid.gate/1|{seed}|{conversationKey}|{turnIndex}|{sampleIndex}")));
        static double U(ReadOnlySpan<byte> b) => (BinaryPrimitives.ReadUInt64LittleEndian(b) >> 11) * (1.0 / (1UL << 53));
        return (U(bytes.AsSpan(0, 8)), U(bytes.AsSpan(8, 8)));
    }
}
