using System.Buffers;

namespace Dfid.Corpus;

/// <summary>Splits a UTF-8 stream into lines of bytes without decoding them (JSON is parsed straight from UTF-8).</summary>
/// <remarks>A returned line is valid only until the next call. Handles <c>\n</c> and <c>\r\n</c>, skips a leading BOM,
/// and grows its buffer for lines longer than it.</remarks>
internal sealed class JsonlLineReader : IDisposable
{
    private readonly Stream _stream;
    private byte[] _buffer;
    private int _start, _end;
    private bool _eof, _first = true;

    public JsonlLineReader(Stream stream, int bufferSize = 1 << 20)
    {
        _stream = stream;
        _buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
    }

    /// <summary>1-based number of the line last returned.</summary>
    public int LineNumber { get; private set; }

    public bool TryReadLine(out ReadOnlyMemory<byte> line)
    {
        while (true)
        {
            var idx = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (idx >= 0)
            {
                line = Take(idx, idx + 1);
                return true;
            }
            if (_eof)
            {
                if (_start < _end)
                {
                    line = Take(_end - _start, _end - _start);
                    return true;
                }
                line = default;
                return false;
            }
            Fill();
        }
    }

    private ReadOnlyMemory<byte> Take(int length, int advance)
    {
        var s = _start;
        var len = length;
        if (len > 0 && _buffer[s + len - 1] == (byte)'\r') len--;
        if (_first)
        {
            _first = false;
            if (len >= 3 && _buffer[s] == 0xEF && _buffer[s + 1] == 0xBB && _buffer[s + 2] == 0xBF) { s += 3; len -= 3; }
        }
        _start += advance;
        LineNumber++;
        return new ReadOnlyMemory<byte>(_buffer, s, len);
    }

    private void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            Buffer.BlockCopy(_buffer, 0, bigger, 0, _end);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0) _eof = true;
        else _end += read;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
