using System.Collections.Immutable;
using Dfid.Components;
using Dfid.Corpus;
using Dfid.Embeddings;
using Dfid.Instrument;
using Dfid.Instrument.Learned;
using Dfid.Probing;
using Dfid.Simulation;
using Dfid.Tests.Running;
using Dfid.Willingness;
using Microsoft.Extensions.AI;

namespace Dfid.Tests.Willingness;

/// <summary>The willingness model's cross-fitting and the gated simulator's draws, on an annotated corpus written for the tests.</summary>
public sealed class GatedSimulatorTests
{
    private static readonly MiniLmEmbedder MiniLm = new();

    /// <summary>
    /// 24 PersuasionForGood-shaped conversations (12 converted); two in three non-converted ones end on an agent turn their
    /// user never answered (real exits), so the hazard model has events.
    /// </summary>
    internal static List<Conversation> Corpus()
    {
        var list = new List<Conversation>();
        foreach (var c in RunFixtures.AnnotatedCorpus(24, 6))
        {
            var k = int.Parse(c.Id[1..], System.Globalization.CultureInfo.InvariantCulture);
            var extra = c.Outcome.Converted == false && k % 3 != 0
                ? c with { Turns = c.Turns.Add(new Turn(Role.Agent, $"are you sure? even a little helps ({c.Id}, last)", Annotations: ImmutableSortedDictionary<string, string>.Empty.Add("er_act", "proposition-of-donation"))) }
                : c;
            list.Add(extra);
        }
        return list;
    }

    /// <summary>The corpus with the outcome of <paramref name="id"/> flipped (and nothing else).</summary>
    internal static List<Conversation> Flipped(List<Conversation> corpus, string id) =>
        corpus.Select(c => c.Id != id ? c : c with { Outcome = c.Outcome with { Converted = !c.Outcome.Converted, Value = c.Outcome.Converted == true ? 0 : 0.5 } }).ToList();

    private static ComponentContext Context(IReadOnlyList<Conversation> corpus, string cacheFolder) =>
        new(Core.Domain.ForDataset("persuasionforgood"), corpus, corpus, null, () => new CachingTextEmbedder(MiniLm), cacheFolder);

    private static SimulatorSpec Spec(int seed = 1) =>
        new("gated", "gated", null, new ComponentOptions(new Dictionary<string, string> { ["base"] = "retrieval", ["seed"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture) }), 1);

    private static async Task<GatedSimulator> BuildAsync(IReadOnlyList<Conversation> corpus, string cacheFolder, int seed = 1)
    {
        var context = Context(corpus, cacheFolder);
        return (GatedSimulator)await new GatedSimulatorKind().BuildAsync(Spec(seed), context);
    }

    /// <summary>Every simulated turn of <paramref name="c"/> a run can ask for: each user turn and the turn after the history,
    /// with and without the exit channel, three samples.</summary>
    private static async Task<List<string>> AllTurnsAsync(GatedSimulator sim, Conversation c)
    {
        var result = new List<string>();
        var turns = ProbeSelector.EligibleUserTurns(c, skipGreeting: false).Append(c.Turns.Length).Distinct();
        foreach (var t in turns)
            foreach (var exit in new[] { false, true })
                for (var s = 0; s < 3; s++)
                {
                    var a = await sim.ReplyAsync(new SimulationRequest(c, t, s) { OfferExit = exit });
                    result.Add($"{t}|{exit}|{s}|{a.Status}|{a.Value}|{a.RawAnswer}");
                }
        return result;
    }

    [Fact]
    public async Task Leakage_FlippingTheProbedConversationsOutcome_LeavesEveryOneOfItsSimulatedTurnsUnchanged()
    {
        // Given: the model and the gated simulator built on the corpus, and again from nothing on the corpus where only
        // p04's outcome is flipped (new cache folders: the willingness model is retrained on the changed outcomes)
        var corpus = Corpus();
        var flipped = Flipped(corpus, "p04");
        var sim = await BuildAsync(corpus, TestData.TempDir());
        var simFlipped = await BuildAsync(flipped, TestData.TempDir());
        Assert.NotEqual(sim.Model.TrainingHash, simFlipped.Model.TrainingHash);

        // When: every simulated turn of p04 (real conversation), from both
        var before = await AllTurnsAsync(sim, corpus.Single(c => c.Id == "p04"));
        var after = await AllTurnsAsync(simFlipped, flipped.Single(c => c.Id == "p04"));

        // Then: identical, draws, probabilities and texts alike; and the gate did draw both states and exits
        Assert.Equal(before, after);
        Assert.Contains(before, l => l.Contains("state=willing", StringComparison.Ordinal));
        Assert.Contains(before, l => l.Contains("state=unwilling", StringComparison.Ordinal));
        // Another conversation's turns may change (p04's outcome is in its fold model's training data): the test can fail.
        var other = corpus.First(c => c.Id != "p04" && sim.Model.TrainingSetOf(c).Contains("persuasionforgood/p04"));
        var otherBefore = await AllTurnsAsync(sim, other);
        var otherAfter = await AllTurnsAsync(simFlipped, flipped.Single(c => c.Id == other.Id));
        Assert.NotEqual(otherBefore.Select(l => l.Split("p_converted=")[1][..6]), otherAfter.Select(l => l.Split("p_converted=")[1][..6]));
    }

    [Fact]
    public async Task ServedModel_TrainingSetExcludesTheServedConversation_AndEqualsAModelTrainedWithoutItsFold()
    {
        var corpus = Corpus();
        var cache = TestData.TempDir();
        using var context = Context(corpus, cache);
        var model = await WillingnessModel.SharedAsync(context, sample: false, CancellationToken.None);
        var served = corpus.Single(c => c.Id == "p07");
        var key = LearnedModel.Key(served);

        // The training set of the model that serves p07 lacks p07 and every conversation of its fold, and holds the rest.
        var set = model.TrainingSetOf(served);
        Assert.DoesNotContain(key, set);
        var folds = LearnedTrainer.AssignFolds(corpus.Select(LearnedModel.Key), model.Folds);
        var foldOf = folds[key];
        Assert.Equal(corpus.Select(LearnedModel.Key).Where(k => folds[k] != foldOf).Order(), set.Order());
        Assert.True(model.IsTrainingConversation(served));

        // Independently: a model trained only on the other folds' conversations (p07 is then not a training conversation, so
        // its full model serves it) gives p07 the same estimates at every point: the fold model never saw p07's outcome.
        var others = corpus.Where(c => folds[LearnedModel.Key(c)] != foldOf).ToList();
        var stageModel = await InstrumentKinds.LearnedStageModelAsync(context, CancellationToken.None);
        var reduced = await WillingnessModel.LoadOrTrainAsync(new WillingnessOptions { CacheDirectory = TestData.TempDir() }, others, stageModel, context.Embedder);
        Assert.False(reduced.IsTrainingConversation(served));
        foreach (var t in ProbeSelector.EligibleUserTurns(served, skipGreeting: false))
        {
            var a = model.Estimate(served, t);
            var b = reduced.Estimate(served, t);
            Assert.Equal(foldOf, a.Fold);
            Assert.Null(b.Fold);
            Assert.Equal(b.PConverted, a.PConverted, 9);
            Assert.Equal(b.Hazard, a.Hazard, 9);
        }
    }

    [Fact]
    public async Task Draws_AreReproducible_AcrossBuilds_AndDependOnTheSeedAndSample()
    {
        var corpus = Corpus();
        var c = corpus.Single(x => x.Id == "p09");
        var first = await AllTurnsAsync(await BuildAsync(corpus, TestData.TempDir()), c);
        var second = await AllTurnsAsync(await BuildAsync(corpus, TestData.TempDir()), c);
        Assert.Equal(first, second);
        var otherSeed = await AllTurnsAsync(await BuildAsync(corpus, TestData.TempDir(), seed: 2), c);
        Assert.NotEqual(first, otherSeed);
        // Reference uniforms from Python's hashlib: SHA-256 of "dfid.gate/1|seed|key|turn|sample", two little-endian
        // 64-bit words, top 53 bits.
        var (u, uExit) = GatedSimulator.Uniforms(1, "persuasionforgood/p00", 5, 0);
        Assert.Equal(0.1674770695513057, u, 15);
        Assert.Equal(0.07148308144422033, uExit, 15);
        Assert.Equal((0.23136787593516728, 0.43677562980858653), GatedSimulator.Uniforms(42, "fixture/abc", 0, 3));
    }

    [Fact]
    public async Task Gate_RetrievesFromOtherConversationsInTheDrawnState_AndExitsOnlyWhereOffered()
    {
        var corpus = Corpus();
        var sim = await BuildAsync(corpus, TestData.TempDir());
        var converted = corpus.Where(c => c.Outcome.Converted == true).Select(c => c.Id).ToHashSet();
        var exits = 0;
        foreach (var c in corpus)
            foreach (var t in ProbeSelector.EligibleUserTurns(c, skipGreeting: true).Append(c.Turns.Length))
                foreach (var offer in new[] { false, true })
                {
                    var request = new SimulationRequest(c, t) { OfferExit = offer };
                    var draw = sim.Draw(request);
                    var a = await sim.ReplyAsync(request);
                    var lines = a.RawAnswer!.Split('\n');
                    Assert.Equal(draw.ToLine(offer), lines[0]);
                    Assert.Contains($"exit_offered={(offer ? "yes" : "no")}", lines[0], StringComparison.Ordinal);
                    Assert.Equal(draw.State == GateState.Exit, a.Status == AnswerStatus.Exit);
                    Assert.True(offer || draw.State != GateState.Exit);
                    // Willing iff the uniform fell below P(converted); exit iff unwilling, offered and below the hazard.
                    Assert.Equal(draw.WillingDraw < draw.Estimate.PConverted, draw.State == GateState.Willing);
                    if (draw.State == GateState.Exit)
                    {
                        exits++;
                        Assert.True(draw.ExitDraw < draw.Estimate.Hazard);
                        continue;
                    }
                    Assert.Equal(AnswerStatus.Ok, a.Status);
                    var source = lines[1].Split('#')[0];
                    Assert.NotEqual(c.Id, source);
                    Assert.Equal(draw.State == GateState.Willing, converted.Contains(source));
                }
        Assert.True(exits > 0, "no exit was drawn: the fixture's hazard should give some");
    }

    [Fact]
    public async Task Gate_OverPersona_SendsThePersonaWhenWilling_TheUnwillingLicenseWhenUnwilling_AndNoExitRule()
    {
        // The test is about which prompt the gate picks, so the model is a recording double.
        var corpus = Corpus();
        var chat = new RecordingChat();
        var context = new ComponentContext(Core.Domain.ForDataset("persuasionforgood"), corpus, corpus, _ => chat, () => new CachingTextEmbedder(MiniLm), TestData.TempDir());
        var spec = new SimulatorSpec("gated-persona", "gated", new ModelSettings("openai:fake"), new ComponentOptions(new Dictionary<string, string> { ["base"] = "persona" }), 1);
        var kind = new GatedSimulatorKind();
        var sim = (GatedSimulator)await kind.BuildAsync(spec, context);
        // The license's first sentence (the rest carries the domain's {decision} placeholder, filled in the sent prompt).
        var license = SimulatorPrompt.License().Split(". ")[0];
        var exitRule = SimulatorPrompt.ExitRule().Trim();
        var states = new HashSet<GateState>();
        foreach (var c in corpus.Take(8))
            foreach (var t in ProbeSelector.EligibleUserTurns(c, skipGreeting: true))
            {
                var request = new SimulationRequest(c, t) { OfferExit = true };
                var draw = sim.Draw(request);
                states.Add(draw.State);
                chat.Last = null;
                var a = await sim.ReplyAsync(request);
                if (draw.State == GateState.Exit)
                {
                    Assert.Equal(AnswerStatus.Exit, a.Status);
                    Assert.Null(chat.Last); // a drawn exit asks no model
                    continue;
                }
                var sent = string.Join("\n", chat.Last!.Select(m => m.Text));
                Assert.Equal(draw.State == GateState.Unwilling, sent.Contains(license, StringComparison.Ordinal));
                Assert.DoesNotContain(exitRule, sent, StringComparison.Ordinal);
                Assert.Equal("ok", a.Value);
            }
        Assert.Contains(GateState.Willing, states);
        Assert.Contains(GateState.Unwilling, states);
        var d = kind.Describe(spec, sim);
        Assert.Equal("openai:fake", d.Model);
        Assert.Contains(license, d.Prompts["unwilling"], StringComparison.Ordinal);
        Assert.Equal(sim.Model.TrainingHash, d.Options["willingness.training_hash"]);
    }

    private sealed class RecordingChat : IChatClient
    {
        public IReadOnlyList<ChatMessage>? Last { get; set; }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Last = [.. messages];
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    [Fact]
    public void Parser_GatedOverRetrievalTakesNoModel_OverPersonaNeedsOne()
    {
        var dir = TestData.TempDir();
        CorpusFile.Write(Path.Combine(dir, "c.jsonl"), Corpus());
        string Write(string sim)
        {
            var p = Path.Combine(dir, "e.yaml");
            File.WriteAllText(p, $"corpus: c.jsonl\nsimulators:\n  g: {sim}\ninstruments:\n  l: {{ kind: learned }}\nconditions:\n  - {{ simulator: g, instrument: l }}\n");
            return p;
        }
        var ok = Dfid.Running.ExperimentParser.Load(Write("{ kind: gated, base: retrieval, pool: sample }"));
        Assert.Equal("gated", ok.Simulators.Values.Single().Kind);
        var e1 = Assert.Throws<DfidException>(() => Dfid.Running.ExperimentParser.Load(Write("{ kind: gated, base: persona }")));
        Assert.Contains("simulators.g.model", e1.Message, StringComparison.Ordinal);
        var e2 = Assert.Throws<DfidException>(() => Dfid.Running.ExperimentParser.Load(Write("{ kind: gated, base: retrieval, model: \"openai:x\" }")));
        Assert.Contains("takes no model", e2.Message, StringComparison.Ordinal);
        var e3 = Assert.Throws<DfidException>(() => Dfid.Running.ExperimentParser.Load(Write("{ kind: gated, base: replay }")));
        Assert.Contains("retrieval or persona or prompt-file", e3.Message, StringComparison.Ordinal);
        Assert.Contains("gated", Dfid.Running.ComponentRegistries.Default.Simulators.Kinds);
    }
}
