using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Dfid;

/// <summary>
/// Reads dfid's YAML files (experiments, taxonomies, act mappings) through YamlDotNet's representation model: every
/// error names the file, the line and the key, and no reflection-based deserializer is built at start-up (it cost
/// ~0.1 s of JIT on every run that loads the taxonomy).
/// </summary>
/// <param name="file">How errors name the file (a file name, a path or <c>embedded:NAME</c>).</param>
internal class YamlReader(string file)
{
    /// <summary>How errors name the file.</summary>
    public string File { get; } = file;

    /// <summary>Parses <paramref name="text"/>; its root must be a mapping.</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="what">What the file holds, for the error when the root is not a mapping.</param>
    /// <exception cref="DfidException">Invalid YAML, or a root that is not a mapping (exit code 2).</exception>
    public YamlMappingNode Root(string text, string what)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new DfidException($"{File}:{ex.Start.Line}: invalid YAML: {ex.InnerException?.Message ?? ex.Message}", 2);
        }
        return stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode root
            ? root
            : throw new DfidException($"{File}:1: {what}", 2);
    }

    public int Line(YamlNode node) => (int)node.Start.Line;

    public DfidException Error(YamlNode node, string key, string message) =>
        new($"{File}:{Line(node)}: {key}: {message}", 2);

    public YamlNode? Get(YamlMappingNode m, string key) =>
        m.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    /// <summary>How errors name <paramref name="key"/> under <paramref name="parent"/> (<c>parent.key</c>, or the key at the root).</summary>
    public static string KeyPath(string parent, string key) => parent.Length == 0 ? key : parent + "." + key;

    public YamlNode RequiredNode(YamlMappingNode m, string key, string parent) =>
        Get(m, key) ?? throw Error(m, KeyPath(parent, key), "missing required key");

    public string Required(YamlMappingNode m, string key, string parent) =>
        Scalar(RequiredNode(m, key, parent), KeyPath(parent, key));

    public YamlMappingNode Map(YamlNode node, string key) =>
        node as YamlMappingNode ?? throw Error(node, key, "expected a mapping ({ key: value, ... })");

    public YamlSequenceNode Sequence(YamlNode node, string key) =>
        node as YamlSequenceNode ?? throw Error(node, key, "expected a list (- item)");

    public string Scalar(YamlNode node, string key) =>
        node is YamlScalarNode { Value: { } v } ? v : throw Error(node, key, "expected a single value");

    /// <summary>The value of an optional key; <c>null</c> when absent or a YAML null (<c>null</c>, <c>~</c> or empty).</summary>
    public string? Text(YamlMappingNode m, string key, string parent) =>
        Get(m, key) is not { } node ? null
        : node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" } ? null
        : Scalar(node, KeyPath(parent, key));

    /// <summary>The mappings of an optional list (none when absent).</summary>
    public IEnumerable<YamlMappingNode> Items(YamlMappingNode m, string key, string parent) =>
        Get(m, key) is { } node ? Sequence(node, KeyPath(parent, key)).Children.Select(c => Map(c, KeyPath(parent, key))) : [];

    public int Int(YamlNode? node, string key, int min)
    {
        if (node is null) return min;
        var s = Scalar(node, key);
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) throw Error(node, key, $"'{s}' is not a whole number");
        if (v < min) throw Error(node, key, $"{v} is too small (at least {min})");
        return v;
    }

    public double Double(YamlNode node, string key)
    {
        var s = Scalar(node, key);
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v)) throw Error(node, key, $"'{s}' is not a number");
        return v;
    }

    public bool Bool(YamlNode node, string key) => Scalar(node, key) switch
    {
        "true" or "yes" or "on" => true,
        "false" or "no" or "off" => false,
        var s => throw Error(node, key, $"'{s}' is not true or false"),
    };

    public void CheckKeys(YamlMappingNode m, string parent, string[] allowed)
    {
        foreach (var k in m.Children.Keys)
        {
            var name = (k as YamlScalarNode)?.Value ?? "?";
            if (!allowed.Contains(name))
                throw Error(k, KeyPath(parent, name), $"unknown key (expected one of {string.Join(", ", allowed)})");
        }
    }
}
