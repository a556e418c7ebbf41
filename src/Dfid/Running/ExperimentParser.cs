using System.Globalization;
using Dfid.Probing;
using Dfid.Simulation;
using YamlDotNet.RepresentationModel;

namespace Dfid.Running;

/// <summary>Reads experiment YAML files; every error names the file, the line and the key, and what is expected.</summary>
public static class ExperimentParser
{
    private static readonly string[] TopKeys = ["corpus", "sample", "probes", "simulators", "instruments", "actions", "conditions", "budget", "concurrency", "cache", "domain"];
    private static readonly string[] ModelKeys = ["model", "temperature", "top_p", "max_tokens", "seed", "api_key_env"];

    /// <summary>Reads and parses <paramref name="path"/>.</summary>
    /// <exception cref="DfidException">The file is missing or invalid (exit code 2).</exception>
    public static Experiment Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new DfidException($"{path}: experiment file not found", 2);
        return Parse(File.ReadAllText(full), full);
    }

    /// <summary>Parses experiment text; relative paths resolve against the folder of <paramref name="sourcePath"/>.</summary>
    /// <exception cref="DfidException">The text is invalid (exit code 2).</exception>
    public static Experiment Parse(string text, string sourcePath)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sourcePath);
        var r = new Reader(Path.GetFileName(sourcePath), Path.GetDirectoryName(Path.GetFullPath(sourcePath))!);
        var root = r.Root(text, $"the experiment must be a mapping with keys {string.Join(", ", TopKeys)}");
        r.CheckKeys(root, "", TopKeys);

        var corpus = r.Path(r.Required(root, "corpus", ""), "corpus");
        if (!File.Exists(corpus)) throw r.Error(r.Get(root, "corpus")!, "corpus", $"corpus file not found: {corpus}");

        SampleSpec? sample = null;
        if (r.Get(root, "sample") is { } sampleNode)
        {
            var m = r.Map(sampleNode, "sample");
            r.CheckKeys(m, "sample", ["balanced", "seed"]);
            sample = new SampleSpec(
                r.Int(r.RequiredNode(m, "balanced", "sample"), "sample.balanced", 1),
                r.Get(m, "seed") is { } seedNode ? r.Int(seedNode, "sample.seed", int.MinValue) : 0);
        }

        var probes = ProbeOptions.Default;
        if (r.Get(root, "probes") is { } probesNode)
        {
            var m = r.Map(probesNode, "probes");
            r.CheckKeys(m, "probes", ["positions", "skip_greeting"]);
            IReadOnlyList<double>? positions = ProbeOptions.Default.Positions;
            if (r.Get(m, "positions") is { } posNode)
            {
                if (posNode is YamlScalarNode { Value: "all" }) positions = null;
                else if (posNode is YamlSequenceNode seq && seq.Children.Count > 0)
                {
                    positions = seq.Children.Select((n, i) =>
                    {
                        var p = r.Double(n, $"probes.positions[{i}]");
                        if (!(p > 0 && p <= 1)) throw r.Error(n, $"probes.positions[{i}]", $"{p} is outside (0, 1] (write 0.3 for 30%)");
                        return p;
                    }).ToList();
                }
                else throw r.Error(posNode, "probes.positions", "expected a list of positions in (0, 1], e.g. [0.3, 0.6, 0.9], or 'all'");
            }
            var skip = r.Get(m, "skip_greeting") is { } sg ? r.Bool(sg, "probes.skip_greeting") : true;
            probes = new ProbeOptions(positions, skip);
        }

        var simulators = new Dictionary<string, SimulatorSpec>(StringComparer.Ordinal);
        var simsNode = r.Map(r.RequiredNode(root, "simulators", ""), "simulators");
        foreach (var (keyNode, valueNode) in simsNode.Children)
        {
            var name = ((YamlScalarNode)keyNode).Value ?? "";
            var key = "simulators." + name;
            var m = r.Map(valueNode, key);
            var kindText = r.Required(m, "kind", key);
            SimulatorKind kind = kindText switch
            {
                "persona" => SimulatorKind.Persona,
                "instructed" => SimulatorKind.Instructed,
                "replay" => SimulatorKind.Replay,
                "retrieval" => SimulatorKind.Retrieval,
                "prompt-file" => SimulatorKind.PromptFile,
                _ => throw r.Error(r.Get(m, "kind")!, key + ".kind", $"unknown kind '{kindText}' (expected persona, instructed, replay, retrieval, prompt-file)"),
            };
            var llm = kind is SimulatorKind.Persona or SimulatorKind.Instructed or SimulatorKind.PromptFile;
            r.CheckKeys(m, key, llm
                ? [.. ModelKeys, "kind", .. kind == SimulatorKind.PromptFile ? new[] { "prompt" } : []]
                : kind == SimulatorKind.Retrieval ? ["kind", "context_turns", "pool"] : ["kind"]);
            var model = llm ? r.Model(m, key, required: true) : null;
            string? prompt = null;
            if (kind == SimulatorKind.PromptFile)
            {
                prompt = r.Path(r.Required(m, "prompt", key), key + ".prompt");
                if (!File.Exists(prompt)) throw r.Error(r.Get(m, "prompt")!, key + ".prompt", $"prompt file not found: {prompt}");
            }
            var contextTurns = r.Get(m, "context_turns") is { } ct ? r.Int(ct, key + ".context_turns", 1) : 2;
            var pool = r.Get(m, "pool") is { } pn ? r.Scalar(pn, key + ".pool") : "corpus";
            if (pool is not ("corpus" or "sample")) throw r.Error(r.Get(m, "pool")!, key + ".pool", $"unknown pool '{pool}' (expected corpus or sample)");
            simulators[name] = new SimulatorSpec(name, kind, model, prompt, contextTurns, pool, r.Line(keyNode));
        }
        if (simulators.Count == 0) throw r.Error(simsNode, "simulators", "declare at least one simulator");

        var instruments = new Dictionary<string, InstrumentSpec>(StringComparer.Ordinal);
        var instNode = r.Map(r.RequiredNode(root, "instruments", ""), "instruments");
        foreach (var (keyNode, valueNode) in instNode.Children)
        {
            var name = ((YamlScalarNode)keyNode).Value ?? "";
            var key = "instruments." + name;
            var m = r.Map(valueNode, key);
            var kind = r.Required(m, "kind", key);
            if (kind is not ("learned" or "llm")) throw r.Error(r.Get(m, "kind")!, key + ".kind", $"unknown kind '{kind}' (expected learned, llm)");
            r.CheckKeys(m, key, kind == "llm" ? [.. ModelKeys, "kind", "context", "context_turns", "hindsight"] : ["kind", "hindsight"]);
            var model = kind == "llm" ? r.Model(m, key, required: true) : null;
            if (r.Get(m, "context") is { } cn && r.Scalar(cn, key + ".context") is var cv && cv != "causal")
                throw r.Error(cn, key + ".context", $"'{cv}': labels are always causal (turns up to the labelled one); write hindsight: true to also label real turns with the full conversation");
            int? contextTurns = r.Get(m, "context_turns") is { } ctn ? r.Int(ctn, key + ".context_turns", 1) : null;
            var hindsight = r.Get(m, "hindsight") is { } hn && r.Bool(hn, key + ".hindsight");
            instruments[name] = new InstrumentSpec(name, kind, model, contextTurns, hindsight, r.Line(keyNode));
        }
        if (instruments.Count == 0) throw r.Error(instNode, "instruments", "declare at least one instrument");

        ActionsSpec? actions = null;
        if (r.Get(root, "actions") is { } actNode)
        {
            var m = r.Map(actNode, "actions");
            var kind = r.Required(m, "kind", "actions");
            if (kind is not ("learned" or "llm")) throw r.Error(r.Get(m, "kind")!, "actions.kind", $"unknown kind '{kind}' (expected learned, llm)");
            r.CheckKeys(m, "actions", kind == "llm" ? [.. ModelKeys, "kind"] : ["kind"]);
            actions = new ActionsSpec(kind, kind == "llm" ? r.Model(m, "actions", required: true) : null, r.Line(actNode));
        }

        var conditions = new List<ConditionSpec>();
        if (r.RequiredNode(root, "conditions", "") is not YamlSequenceNode condSeq || condSeq.Children.Count == 0)
            throw r.Error(r.Get(root, "conditions")!, "conditions", "expected a list of { simulator: NAME, instrument: NAME }");
        var simUse = condSeq.Children.OfType<YamlMappingNode>().Select(c => r.Get(c, "simulator") is YamlScalarNode s ? s.Value : null).GroupBy(s => s).ToDictionary(g => g.Key ?? "", g => g.Count());
        for (var i = 0; i < condSeq.Children.Count; i++)
        {
            var key = $"conditions[{i}]";
            var m = r.Map(condSeq.Children[i], key);
            r.CheckKeys(m, key, ["simulator", "instrument", "name"]);
            var sim = r.Required(m, "simulator", key);
            var inst = r.Required(m, "instrument", key);
            if (!simulators.ContainsKey(sim)) throw r.Error(r.Get(m, "simulator")!, key + ".simulator", $"unknown simulator '{sim}' (declared: {string.Join(", ", simulators.Keys)})");
            if (!instruments.ContainsKey(inst)) throw r.Error(r.Get(m, "instrument")!, key + ".instrument", $"unknown instrument '{inst}' (declared: {string.Join(", ", instruments.Keys)})");
            var name = r.Get(m, "name") is { } nn ? r.Scalar(nn, key + ".name") : simUse.GetValueOrDefault(sim) > 1 ? $"{sim}/{inst}" : sim;
            if (conditions.Any(c => c.Name == name)) throw r.Error(m, key, $"duplicate condition '{name}' (give it a distinct name: ...)");
            conditions.Add(new ConditionSpec(name, sim, inst, r.Line(m)));
        }

        var budget = new BudgetSpec(null, null);
        if (r.Get(root, "budget") is { } bNode)
        {
            var m = r.Map(bNode, "budget");
            r.CheckKeys(m, "budget", ["max_cost_usd", "max_calls"]);
            budget = new BudgetSpec(
                r.Get(m, "max_cost_usd") is { } c ? r.Double(c, "budget.max_cost_usd") : null,
                r.Get(m, "max_calls") is { } k ? r.Int(k, "budget.max_calls", 0) : null);
        }

        var concurrency = r.Get(root, "concurrency") is { } conc ? r.Int(conc, "concurrency", 1) : 8;

        var cache = new CacheSpec(true, null);
        if (r.Get(root, "cache") is { } cacheNode)
        {
            var m = r.Map(cacheNode, "cache");
            r.CheckKeys(m, "cache", ["enabled", "path"]);
            cache = new CacheSpec(
                r.Get(m, "enabled") is not { } en || r.Bool(en, "cache.enabled"),
                r.Get(m, "path") is { } p ? r.Path(r.Scalar(p, "cache.path"), "cache.path") : null);
        }

        var domain = DomainWords.Default;
        if (r.Get(root, "domain") is { } dNode)
        {
            if (dNode is YamlScalarNode ds)
            {
                domain = ds.Value switch
                {
                    "persuasionforgood" => DomainWords.PersuasionForGood,
                    "sales" => DomainWords.Default,
                    _ => throw r.Error(ds, "domain", $"unknown preset '{ds.Value}' (expected persuasionforgood, sales, or a mapping with agent, agent_label, decision, setting)"),
                };
            }
            else
            {
                var m = r.Map(dNode, "domain");
                r.CheckKeys(m, "domain", ["agent", "agent_label", "decision", "setting"]);
                domain = new DomainWords(
                    r.Get(m, "agent") is { } a ? r.Scalar(a, "domain.agent") : domain.Agent,
                    r.Get(m, "agent_label") is { } al ? r.Scalar(al, "domain.agent_label") : domain.AgentLabel,
                    r.Get(m, "decision") is { } de ? r.Scalar(de, "domain.decision") : domain.Decision,
                    r.Get(m, "setting") is { } se ? r.Scalar(se, "domain.setting") : domain.Setting);
            }
        }

        return new Experiment(Path.GetFullPath(sourcePath), text, corpus, sample, probes, simulators, instruments, actions, conditions, budget, concurrency, cache, domain);
    }

    private sealed class Reader(string file, string folder) : YamlReader(file)
    {
        public string Path(string value, string key) =>
            System.IO.Path.GetFullPath(System.IO.Path.IsPathRooted(value) ? value : System.IO.Path.Combine(folder, value));

        public ModelSettings? Model(YamlMappingNode m, string key, bool required)
        {
            var node = Get(m, "model");
            if (node is null)
            {
                if (required) throw Error(m, key + ".model", "missing required key (a model spec such as openai:gpt-4o-mini, anthropic:MODEL or gguf:PATH)");
                return null;
            }
            var spec = Scalar(node, key + ".model");
            if (!spec.Contains(':')) throw Error(node, key + ".model", $"'{spec}' is not a model spec (expected openai:MODEL, anthropic:MODEL or gguf:PATH)");
            if (spec.StartsWith("gguf:", StringComparison.Ordinal) && !System.IO.Path.IsPathRooted(spec[5..]) && spec[5..].Contains('/'))
                spec = "gguf:" + Path(spec[5..], key + ".model");
            try
            {
                Models.ModelSpec.Parse(spec);
            }
            catch (DfidException ex)
            {
                throw Error(node, key + ".model", ex.Message);
            }
            var t = Get(m, "temperature") is { } tn ? Double(tn, key + ".temperature") : (double?)null;
            if (t is < 0 or > 2) throw Error(Get(m, "temperature")!, key + ".temperature", $"{t} is outside [0, 2]");
            return new ModelSettings(
                spec,
                t,
                Get(m, "top_p") is { } tp ? Double(tp, key + ".top_p") : null,
                Get(m, "max_tokens") is { } mt ? Int(mt, key + ".max_tokens", 1) : null,
                Get(m, "seed") is { } sd ? Int(sd, key + ".seed", int.MinValue) : null,
                Get(m, "api_key_env") is { } ak ? Scalar(ak, key + ".api_key_env") : null);
        }
    }
}
