using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace Dfid.Instrument;

/// <summary>A definition with short examples, used in instrument prompts and documentation.</summary>
/// <param name="Name">Wire name, e.g. <c>considering</c>.</param>
/// <param name="Definition">One-sentence definition; may hold domain placeholders such as <c>{commitment}</c>.</param>
/// <param name="Examples">Short example utterances.</param>
public sealed record TermDefinition(string Name, string Definition, ImmutableArray<string> Examples);

/// <summary>A depth coding δ: a number for every stage (the ordinal default, binary resistance, deep funnel, or a user's own).</summary>
/// <param name="Name">Coding name, e.g. <c>ordinal</c>.</param>
/// <param name="Description">What the coding measures.</param>
/// <param name="Values">The number of each stage.</param>
public sealed record DepthCoding(string Name, string Description, ImmutableSortedDictionary<Stage, double> Values)
{
    /// <summary>The depth of <paramref name="stage"/> under this coding.</summary>
    public double Code(Stage stage) => Values[stage];
}

/// <summary>The decision-state taxonomy: definitions of every stage, emotion and blocker, and the depth codings.</summary>
/// <param name="Name">Taxonomy name.</param>
/// <param name="Stages">Stage definitions in stage order.</param>
/// <param name="Emotions">Emotion definitions in enum order.</param>
/// <param name="Blockers">Blocker definitions in enum order.</param>
/// <param name="Codings">Depth codings; the first is the default.</param>
/// <param name="Source">Where it was loaded from (<c>embedded:taxonomy.yaml</c> or a path).</param>
public sealed record StageTaxonomy(
    string Name,
    ImmutableArray<TermDefinition> Stages,
    ImmutableArray<TermDefinition> Emotions,
    ImmutableArray<TermDefinition> Blockers,
    ImmutableArray<DepthCoding> Codings,
    string Source)
{
    /// <summary>The format tag of taxonomy files.</summary>
    public const string Format = "dfid.taxonomy/1";

    /// <summary>The built-in taxonomy (stages, emotions, blockers of the protocol; codings ordinal, binary-resistance, deep-funnel).</summary>
    public static StageTaxonomy Default { get; } = Parse(ReadEmbedded("taxonomy.yaml"), "embedded:taxonomy.yaml");

    /// <summary>The coding called <paramref name="name"/>.</summary>
    /// <exception cref="DfidException">No such coding (the message lists the known ones).</exception>
    public DepthCoding Coding(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var c in Codings)
            if (string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)) return c;
        throw new DfidException(
            $"{Source}: no depth coding named '{name}'; known codings: {string.Join(", ", Codings.Select(c => c.Name))}.", 2);
    }

    /// <summary>Loads a user taxonomy file.</summary>
    /// <exception cref="DfidException">The file is missing or invalid (the message names the file and the problem).</exception>
    public static StageTaxonomy Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new DfidException($"{path}: taxonomy file not found; pass an existing file to --taxonomy.", 2);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses taxonomy YAML; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="DfidException">The text is not a complete taxonomy.</exception>
    public static StageTaxonomy Parse(string yaml, string source)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var r = new YamlReader(source);
        string[] keys = ["format", "name", "stages", "emotions", "blockers", "codings"];
        var root = r.Root(yaml, $"a taxonomy must be a mapping with keys {string.Join(", ", keys)}");
        r.CheckKeys(root, "", keys);
        var dto = new TaxonomyDto(r.Text(root, "format", ""), r.Text(root, "name", ""),
            TermDtos(r, root, "stages"), TermDtos(r, root, "emotions"), TermDtos(r, root, "blockers"),
            [.. r.Items(root, "codings", "").Select(c => ReadCoding(r, c))]);
        if (dto.Format is not null && dto.Format != Format)
            throw new DfidException($"{source}: format '{dto.Format}' is not {Format}.", 2);
        var errors = new List<string>();
        var stages = Terms<Stage>(dto.Stages, "stages", errors);
        var emotions = Terms<Emotion>(dto.Emotions, "emotions", errors);
        var blockers = Terms<Blocker>(dto.Blockers, "blockers", errors);
        var codings = ImmutableArray.CreateBuilder<DepthCoding>();
        foreach (var c in dto.Codings)
        {
            if (string.IsNullOrWhiteSpace(c.Name)) { errors.Add("a coding has no name"); continue; }
            var values = ImmutableSortedDictionary.CreateBuilder<Stage, double>();
            foreach (var (k, v) in c.Values)
            {
                if (!StateNames.TryParse(k, out Stage st)) errors.Add($"coding '{c.Name}': unknown stage '{k}'");
                else values[st] = v;
            }
            foreach (var st in Enum.GetValues<Stage>())
                if (!values.ContainsKey(st)) errors.Add($"coding '{c.Name}': no value for stage '{StateNames.Of(st)}'");
            codings.Add(new DepthCoding(c.Name.Trim(), c.Description ?? "", values.ToImmutable()));
        }
        if (codings.Count == 0) errors.Add("no codings (add at least the ordinal coding)");
        if (errors.Count > 0)
            throw new DfidException($"{source}: invalid taxonomy: {string.Join("; ", errors)}.", 2);
        return new StageTaxonomy(dto.Name ?? "unnamed", stages, emotions, blockers, codings.ToImmutable(), source);
    }

    private static List<TermDto> TermDtos(YamlReader r, YamlMappingNode root, string key) =>
    [
        .. r.Items(root, key, "").Select(t =>
        {
            r.CheckKeys(t, key, ["name", "definition", "examples"]);
            return new TermDto(r.Text(t, "name", key), r.Text(t, "definition", key),
                r.Get(t, "examples") is { } e ? [.. r.Sequence(e, key + ".examples").Children.Select(x => r.Scalar(x, key + ".examples"))] : []);
        }),
    ];

    private static CodingDto ReadCoding(YamlReader r, YamlMappingNode c)
    {
        r.CheckKeys(c, "codings", ["name", "description", "values"]);
        var values = new List<(string, double)>();
        if (r.Get(c, "values") is { } v)
            foreach (var (k, n) in r.Map(v, "codings.values").Children)
            {
                var stage = r.Scalar(k, "codings.values");
                values.Add((stage, r.Double(n, "codings.values." + stage)));
            }
        return new CodingDto(r.Text(c, "name", "codings"), r.Text(c, "description", "codings"), values);
    }

    private static ImmutableArray<TermDefinition> Terms<T>(List<TermDto> list, string key, List<string> errors)
        where T : struct, Enum
    {
        var byValue = new Dictionary<T, TermDefinition>();
        foreach (var t in list)
        {
            if (!StateNames.TryParseGeneric(t.Name, out T value))
            {
                errors.Add($"{key}: unknown name '{t.Name}' (known: {string.Join(", ", StateNames.All<T>())})");
                continue;
            }
            byValue[value] = new TermDefinition(StateNames.NameOf(value),
                t.Definition?.Trim() ?? "", [.. t.Examples.Select(e => e.Trim())]);
        }
        var result = ImmutableArray.CreateBuilder<TermDefinition>();
        foreach (var v in Enum.GetValues<T>())
        {
            if (byValue.TryGetValue(v, out var d)) result.Add(d);
            else errors.Add($"{key}: no definition for '{StateNames.NameOf(v)}'");
        }
        return result.ToImmutable();
    }

    internal static string ReadEmbedded(string fileName)
    {
        var asm = typeof(StageTaxonomy).Assembly;
        var name = asm.GetManifestResourceNames().Single(n => n.EndsWith("instrument." + fileName, StringComparison.Ordinal));
        using var stream = asm.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private sealed record TaxonomyDto(string? Format, string? Name, List<TermDto> Stages, List<TermDto> Emotions,
        List<TermDto> Blockers, List<CodingDto> Codings);

    private sealed record TermDto(string? Name, string? Definition, List<string> Examples);

    private sealed record CodingDto(string? Name, string? Description, List<(string Stage, double Value)> Values);
}
