namespace TinySync.Testing;

/// <summary>
/// A stream over another that runs a check before every write, for fault injection (disk full, a crash mid-write).
/// Reads, seeks and flushes pass through; disposing it disposes the inner stream.
/// </summary>
/// <param name="inner">The real stream.</param>
/// <param name="beforeWrite">Called with the inner stream and the byte count before each write; throws to fail it.</param>
public sealed class WriteHookStream(Stream inner, Action<Stream, int> beforeWrite) : Stream
{
    /// <summary>The real stream (what an fsync must reach).</summary>
    public Stream Inner => inner;

    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => true;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => inner.Position = value; }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
    public override void SetLength(long value) => inner.SetLength(value);

    public override void Write(byte[] buffer, int offset, int count)
    {
        beforeWrite(inner, count);
        inner.Write(buffer, offset, count);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        beforeWrite(inner, buffer.Length);
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        beforeWrite(inner, count);
        return inner.WriteAsync(buffer, offset, count, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }
}
