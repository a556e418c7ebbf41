using Dfid.Components;
using YamlDotNet.RepresentationModel;

namespace Dfid.Running;

/// <summary>Reads experiment YAML files; every error names the file, the line and the key, and what is expected.</summary>
public static partial class ExperimentParser
{
    private static readonly string[] TopKeys =
        ["corpus", "sample", "probes", "simulators", "instruments", "actions", "agents", "conditions", "rollouts", "exit_channel", "budget", "concurrency", "cache", "domain", "execution", "human_labels"];
    private static readonly string[] ModelKeys = ["model", "temperature", "top_p", "max_tokens", "seed", "api_key_env"];

    /// <summary>Reads and parses <paramref name="path"/>.</summary>
    /// <param name="path">The experiment file.</param>
    /// <param name="registries">The component kinds (default: the built-in ones).</param>
    /// <exception cref="DfidException">The file is missing or invalid (exit code 2).</exception>
    public static Experiment Load(string path, ComponentRegistries? registries = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new DfidException($"{path}: experiment file not found", 2);
        return Parse(File.ReadAllText(full), full, registries);
    }

    /// <summary>Parses experiment text; relative paths resolve against the folder of <paramref name="sourcePath"/>.</summary>
    /// <param name="text">The YAML text.</param>
    /// <param name="sourcePath">Where the text comes from (names it in errors; relative paths resolve against its folder).</param>
    /// <param name="registries">The component kinds (default: the built-in ones); every kind checks its own options here.</param>
    /// <exception cref="DfidException">The text is invalid (exit code 2).</exception>
    public static Experiment Parse(string text, string sourcePath, ComponentRegistries? registries = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sourcePath);
        registries ??= ComponentRegistries.Default;
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
            r.CheckKeys(m, "probes", ["positions", "skip_greeting", "exits"]);
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
            probes = new ProbeOptions(positions, skip) { Exits = r.Get(m, "exits") is { } ex && r.Bool(ex, "probes.exits") };
        }

        var simulators = new Dictionary<string, SimulatorSpec>(StringComparer.Ordinal);
        var simsNode = r.Map(r.RequiredNode(root, "simulators", ""), "simulators");
        foreach (var (keyNode, valueNode) in simsNode.Children)
        {
            var name = ((YamlScalarNode)keyNode).Value ?? "";
            var key = "simulators." + name;
            var m = r.Map(valueNode, key);
            var (kind, model, options) = r.Component(m, key, registries.Simulators);
            simulators[name] = new SimulatorSpec(name, kind, model, options, r.Line(keyNode));
        }
        if (simulators.Count == 0) throw r.Error(simsNode, "simulators", "declare at least one simulator");

        var instruments = new Dictionary<string, InstrumentSpec>(StringComparer.Ordinal);
        var instNode = r.Map(r.RequiredNode(root, "instruments", ""), "instruments");
        foreach (var (keyNode, valueNode) in instNode.Children)
        {
            var name = ((YamlScalarNode)keyNode).Value ?? "";
            var key = "instruments." + name;
            var m = r.Map(valueNode, key);
            var (kind, model, options) = r.Component(m, key, registries.Instruments, "hindsight");
            var hindsight = r.Get(m, "hindsight") is { } hn && r.Bool(hn, key + ".hindsight");
            instruments[name] = new InstrumentSpec(name, kind, model, options, hindsight, r.Line(keyNode));
        }
        if (instruments.Count == 0) throw r.Error(instNode, "instruments", "declare at least one instrument");

        ActionsSpec? actions = null;
        if (r.Get(root, "actions") is { } actNode)
        {
            var m = r.Map(actNode, "actions");
            var (kind, model, _) = r.Component(m, "actions", registries.Actions);
            actions = new ActionsSpec(kind, model, r.Line(actNode));
        }

        var agents = new Dictionary<string, AgentSpec>(StringComparer.Ordinal);
        if (r.Get(root, "agents") is { } agentsNode)
        {
            foreach (var (keyNode, valueNode) in r.Map(agentsNode, "agents").Children)
            {
                var name = ((YamlScalarNode)keyNode).Value ?? "";
                var key = "agents." + name;
                var (kind, model, options) = r.Component(r.Map(valueNode, key), key, registries.Agents);
                agents[name] = new AgentSpec(name, kind, model, options, r.Line(keyNode));
            }
        }

        var conditions = new List<ConditionSpec>();
        if (r.RequiredNode(root, "conditions", "") is not YamlSequenceNode condSeq || condSeq.Children.Count == 0)
            throw r.Error(r.Get(root, "conditions")!, "conditions", "expected a list of { simulator: NAME, instrument: NAME }");
        // A simulator used by two probe conditions names each after its instrument too; rollout conditions take simulator+agent.
        var simUse = condSeq.Children.OfType<YamlMappingNode>()
            .Where(c => r.Get(c, "mode") is not YamlScalarNode { Value: "rollout" })
            .Select(c => r.Get(c, "simulator") is YamlScalarNode s ? s.Value : null).GroupBy(s => s).ToDictionary(g => g.Key ?? "", g => g.Count());
        for (var i = 0; i < condSeq.Children.Count; i++)
        {
            var key = $"conditions[{i}]";
            var m = r.Map(condSeq.Children[i], key);
            r.CheckKeys(m, key, ["simulator", "instrument", "name", "mode", "agent"]);
            var sim = r.Required(m, "simulator", key);
            var inst = r.Required(m, "instrument", key);
            if (!simulators.ContainsKey(sim)) throw r.Error(r.Get(m, "simulator")!, key + ".simulator", $"unknown simulator '{sim}' (declared: {string.Join(", ", simulators.Keys)})");
            if (!instruments.ContainsKey(inst)) throw r.Error(r.Get(m, "instrument")!, key + ".instrument", $"unknown instrument '{inst}' (declared: {string.Join(", ", instruments.Keys)})");
            var mode = r.Get(m, "mode") is { } mn ? r.Scalar(mn, key + ".mode") switch
            {
                "probe" => ConditionMode.Probe,
                "rollout" => ConditionMode.Rollout,
                var other => throw r.Error(mn, key + ".mode", $"unknown mode '{other}' (expected probe or rollout)"),
            } : ConditionMode.Probe;
            string? agent = null;
            if (r.Get(m, "agent") is { } an)
            {
                agent = r.Scalar(an, key + ".agent");
                if (mode != ConditionMode.Rollout) throw r.Error(an, key + ".agent", "an agent takes part in rollouts only; add mode: rollout");
                if (!agents.ContainsKey(agent)) throw r.Error(an, key + ".agent", $"unknown agent '{agent}' (declared: {(agents.Count == 0 ? "none; add an agents: section" : string.Join(", ", agents.Keys))})");
            }
            else if (mode == ConditionMode.Rollout) throw r.Error(m, key + ".agent", "missing required key (a rollout needs an agent from the agents: section)");
            var name = r.Get(m, "name") is { } nn ? r.Scalar(nn, key + ".name")
                : mode == ConditionMode.Rollout ? $"{sim}+{agent}"
                : simUse.GetValueOrDefault(sim) > 1 ? $"{sim}/{inst}" : sim;
            if (conditions.Any(c => c.Name == name)) throw r.Error(m, key, $"duplicate condition '{name}' (give it a distinct name: ...)");
            conditions.Add(new ConditionSpec(name, sim, inst, r.Line(m)) { Mode = mode, Agent = agent });
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

        var domain = r.Get(root, "domain") is { } dNode ? r.ReadDomain(dNode) : null;

        var rollouts = RolloutOptions.Default;
        if (r.Get(root, "rollouts") is { } rNode)
        {
            var m = r.Map(rNode, "rollouts");
            r.CheckKeys(m, "rollouts", ["start", "max_user_turns", "samples"]);
            var start = r.Get(m, "start") is { } sn ? r.Double(sn, "rollouts.start") : rollouts.Start;
            if (!(start > 0 && start <= 1)) throw r.Error(r.Get(m, "start")!, "rollouts.start", $"{start} is outside (0, 1] (the probe position whose real prefix a rollout continues, e.g. 0.3)");
            rollouts = new RolloutOptions(start,
                r.Get(m, "max_user_turns") is { } mu ? r.Int(mu, "rollouts.max_user_turns", 1) : rollouts.MaxUserTurns,
                r.Get(m, "samples") is { } sa ? r.Int(sa, "rollouts.samples", 1) : rollouts.Samples);
        }
        var exitChannel = r.Get(root, "exit_channel") is { } ecNode ? r.Scalar(ecNode, "exit_channel") switch
        {
            "auto" => ExitChannel.Auto,
            "on" => ExitChannel.On,
            "off" => ExitChannel.Off,
            var other => throw r.Error(ecNode, "exit_channel", $"'{other}' is not auto, on or off (auto: offered at exit probes and in rollouts, not at depth probes)"),
        } : ExitChannel.Auto;

        var execution = r.Get(root, "execution") is { } exNode ? ReadExecution(r, exNode) : ExecutionSpec.Online;
        string? humanLabels = null;
        if (r.Get(root, "human_labels") is { } hlNode)
        {
            humanLabels = r.Path(r.Scalar(hlNode, "human_labels"), "human_labels");
            if (!File.Exists(humanLabels)) throw r.Error(hlNode, "human_labels", $"labels file not found: {humanLabels} (export one with dfid labels export)");
        }

        return new Experiment(Path.GetFullPath(sourcePath), text, corpus, sample, probes, simulators, instruments, actions, conditions, budget, concurrency, cache, domain)
        {
            Agents = agents,
            Rollouts = rollouts,
            ExitChannel = exitChannel,
            Execution = execution,
            HumanLabels = humanLabels,
        };
    }

    private static readonly string[] DomainKeys =
        ["preset", "agent", "agent_label", "agent_role", "user_role", "commitment", "commit_verb", "offer", "decision", "setting"];

    private sealed class Reader(string file, string folder) : YamlReader(file)
    {
        /// <summary>A component's kind (checked against the registry), its model when the kind uses one, and its own
        /// options, each checked by the kind's rule; any other key is an error.</summary>
        public (string Kind, ModelSettings? Model, ComponentOptions Options) Component<TSpec, TComponent>(
            YamlMappingNode m, string key, ComponentRegistry<TSpec, TComponent> registry, params string[] roleKeys)
        {
            var kindText = Required(m, "kind", key);
            var kind = registry.Find(kindText)
                ?? throw Error(Get(m, "kind")!, key + ".kind", $"unknown kind '{kindText}' (expected {string.Join(", ", registry.Kinds)})");
            CheckKeys(m, key, [.. kind.UsesModel ? ModelKeys : [], "kind", .. kind.Options.Select(o => o.Key), .. roleKeys]);
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var rule in kind.Options)
            {
                var node = Get(m, rule.Key);
                var optionKey = key + "." + rule.Key;
                if (node is null)
                {
                    if (rule.Required) throw Error(m, optionKey, $"missing required key ({rule.Description})");
                    continue;
                }
                if (rule.Type == OptionType.FileList)
                {
                    values[rule.Key] = FileList(node, optionKey, rule);
                    continue;
                }
                var text = Scalar(node, optionKey);
                values[rule.Key] = rule.Type switch
                {
                    OptionType.Integer => Int(node, optionKey, rule.Min ?? int.MinValue).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    OptionType.Choice when !rule.Choices!.Contains(text) => throw Error(node, optionKey,
                        rule.Hint is { } hint ? $"'{text}': {hint}" : $"unknown {rule.Key} '{text}' (expected {string.Join(" or ", rule.Choices!)})"),
                    OptionType.File when Path(text, optionKey) is var file && !System.IO.File.Exists(file) => throw Error(node, optionKey, $"{rule.Key} file not found: {file}"),
                    OptionType.File => Path(text, optionKey),
                    _ => text,
                };
            }
            var model = kind.UsesModel ? Model(m, key, required: kind.NeedsModel(values)) : null;
            if (model is not null && !kind.NeedsModel(values)) throw Error(Get(m, "model")!, key + ".model", $"kind {kindText} with these options takes no model (remove model:)");
            return (kindText, model, new ComponentOptions(values));
        }

        /// <summary>A file-list option: one path, or a list of paths and mappings of named paths; every file must exist.</summary>
        private string FileList(YamlNode node, string key, OptionRule rule)
        {
            var items = node is YamlSequenceNode seq ? seq.Children : [node];
            if (items.Count == 0) throw Error(node, key, $"expected a list of files ({rule.Description})");
            var entries = new List<SortedDictionary<string, string>>();
            for (var i = 0; i < items.Count; i++)
            {
                var itemKey = node is YamlSequenceNode ? $"{key}[{i}]" : key;
                var entry = new SortedDictionary<string, string>(StringComparer.Ordinal);
                if (items[i] is YamlMappingNode m)
                {
                    var names = rule.Choices ?? [];
                    CheckKeys(m, itemKey, [.. names]);
                    foreach (var name in names)
                        if (Get(m, name) is { } n) entry[name] = ExistingFile(n, itemKey + "." + name);
                    if (entry.Count == 0) throw Error(m, itemKey, $"expected a path or a mapping with {string.Join(", ", names)}");
                }
                else entry["path"] = ExistingFile(items[i], itemKey);
                entries.Add(entry);
            }
            return System.Text.Json.JsonSerializer.Serialize(entries);
        }

        private string ExistingFile(YamlNode node, string key)
        {
            var file = Path(Scalar(node, key), key);
            if (!System.IO.File.Exists(file)) throw Error(node, key, $"file not found: {file}");
            return file;
        }

        /// <summary>A preset name, or a mapping of words over a preset (<c>preset:</c>, default sales).</summary>
        public Domain ReadDomain(YamlNode node)
        {
            if (node is YamlScalarNode ds)
                return Core.Domain.Preset(ds.Value)
                    ?? throw Error(ds, "domain", $"unknown preset '{ds.Value}' (expected {string.Join(", ", Core.Domain.Presets.Keys)}, or a mapping with {string.Join(", ", DomainKeys)})");
            var m = Map(node, "domain");
            CheckKeys(m, "domain", DomainKeys);
            string? Word(string k) => Get(m, k) is { } n ? Scalar(n, "domain." + k) : null;
            var preset = Word("preset") is { } p
                ? Core.Domain.Preset(p) ?? throw Error(Get(m, "preset")!, "domain.preset", $"unknown preset '{p}' (expected {string.Join(", ", Core.Domain.Presets.Keys)})")
                : Core.Domain.Sales;
            var agent = Word("agent");
            return new Core.Domain(
                Word("preset") is null ? "custom" : preset.Name + "+custom",
                agent ?? preset.Agent,
                Word("agent_label") ?? preset.AgentLabel,
                // The judge's word for the agent follows a custom agent ("a recruiter" → "recruiter") unless given.
                Word("agent_role") ?? (agent is null ? preset.AgentRole : Article().Replace(agent, "")),
                Word("user_role") ?? preset.UserRole,
                Word("commitment") ?? preset.Commitment,
                Word("commit_verb") ?? preset.CommitVerb,
                Word("offer") ?? preset.Offer,
                Word("decision") ?? preset.Decision,
                Word("setting") ?? preset.Setting);
        }

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

    [System.Text.RegularExpressions.GeneratedRegex(@"^\s*(a|an|the)\s+", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex Article();
}
