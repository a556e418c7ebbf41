using System.Buffers;
using System.Collections.Immutable;
using System.Text.Json;

namespace Dfid.Corpus;

/// <summary>Builds a profile or meta map with one JSON document for the whole map rather than one per value
/// (importers create tens of thousands of values; a document each dominated the import time).</summary>
internal sealed class JsonMapBuilder
{
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _writer;
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);

    public JsonMapBuilder()
    {
        _writer = new Utf8JsonWriter(_buffer, CorpusJson.WriterOptions);
        _writer.WriteStartObject();
    }

    public int Count => _keys.Count;

    public bool ContainsKey(string key) => _keys.Contains(key);

    public JsonMapBuilder Add(string key, string value) { if (Claim(key)) _writer.WriteString(key, value); return this; }

    public JsonMapBuilder Add(string key, double value) { if (Claim(key)) _writer.WriteNumber(key, value); return this; }

    public JsonMapBuilder Add(string key, long value) { if (Claim(key)) _writer.WriteNumber(key, value); return this; }

    public JsonMapBuilder Add(string key, bool value) { if (Claim(key)) _writer.WriteBoolean(key, value); return this; }

    public JsonMapBuilder Add(string key, JsonElement value)
    {
        if (Claim(key))
        {
            _writer.WritePropertyName(key);
            value.WriteTo(_writer);
        }
        return this;
    }

    private bool Claim(string key) =>
        _keys.Add(key) ? true : throw new ArgumentException($"key \"{key}\" added twice", nameof(key));

    public ImmutableSortedDictionary<string, JsonElement> ToImmutable()
    {
        if (_keys.Count == 0) return CorpusMeta.EmptyMap;
        _writer.WriteEndObject();
        _writer.Flush();
        var reader = new Utf8JsonReader(_buffer.WrittenSpan);
        var root = JsonElement.ParseValue(ref reader);
        var builder = ImmutableSortedDictionary.CreateBuilder<string, JsonElement>(StringComparer.Ordinal);
        foreach (var p in root.EnumerateObject()) builder.Add(p.Name, p.Value);
        return builder.ToImmutable();
    }
}
