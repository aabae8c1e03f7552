using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3.Model;
using TinySync.Server.Blobs;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.ScaleOut;

public sealed class ChunkStoreTests_Local() : ChunkStoreTests(Backend.Sqlite);

public sealed class ChunkStoreTests_S3() : ChunkStoreTests(Backend.Postgres);

/// <summary>The <see cref="IChunkStore"/> contract, on local files and on S3 (s3rver).</summary>
public abstract class ChunkStoreTests(Backend backend) : IAsyncLifetime
{
    readonly TempDir _dir = new("tinysync-chunks");
    IChunkStore _store = null!;
    string? _bucket;

    public async Task InitializeAsync()
    {
        if (backend == Backend.Sqlite)
        {
            _store = new LocalChunkStore(_dir.Sub("chunks"));
            return;
        }
        _bucket = await TestS3.CreateBucketAsync();
        _store = await S3ChunkStore.OpenAsync(S3Settings($"s3://{_bucket}/p"), default);
    }

    internal static S3ChunkStoreSettings S3Settings(string location) =>
        new(location, TestS3.Endpoint, "us-east-1", new BasicAWSCredentials(TestS3.AccessKey, TestS3.SecretKey));

    public Task DisposeAsync()
    {
        (_store as IDisposable)?.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }

    static (string Hash, byte[] Bytes) Chunk(int size = 4096)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        return (Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes);
    }

    [Fact]
    public async Task Put_many_stores_every_chunk_once_skips_held_ones_and_leaves_no_temp_files()
    {
        var held = Chunk();
        await _store.PutAsync(held.Hash, held.Bytes, default);
        var fresh = Enumerable.Range(0, 20).Select(i => Chunk(100 + i * 50)).ToList();
        var batch = fresh.Select(c => (c.Hash, (ReadOnlyMemory<byte>)c.Bytes)).ToList();
        batch.Add((held.Hash, held.Bytes));
        batch.Add((fresh[0].Hash, fresh[0].Bytes)); // a duplicate in the batch

        await _store.PutManyAsync(batch, default);
        await _store.PutManyAsync(batch, default); // idempotent

        foreach (var (hash, bytes) in fresh.Append(held)) (await _store.GetAsync(hash, default)).ShouldBe(bytes);
        if (backend == Backend.Sqlite)
        {
            Directory.EnumerateFiles(_dir.Sub("chunks"), "*.tmp", SearchOption.AllDirectories).ShouldBeEmpty();
        }
    }

    [Fact]
    public async Task A_streamed_upload_is_visible_only_once_completed_and_leaves_nothing_when_abandoned()
    {
        var (hash, bytes) = Chunk(3 * 1024 * 1024 + 17);
        var upload = _store.BeginUpload(hash);
        if (upload is null)
        {
            backend.ShouldBe(Backend.Postgres, "the local store writes chunks as they arrive");
            return; // S3 takes whole chunks through PutAsync
        }
        await using (upload)
        {
            for (var at = 0; at < bytes.Length; at += 100_000) upload.Write(bytes.AsSpan(at, Math.Min(100_000, bytes.Length - at)));
            (await _store.ExistsAsync(hash, default)).ShouldBeFalse("nothing is visible before the caller verified the hash");
            await upload.CompleteAsync(default);
        }
        (await _store.GetAsync(hash, default)).ShouldBe(bytes);
        _store.BeginUpload(hash).ShouldBeNull("a held chunk is not written again");

        var (other, otherBytes) = Chunk(600_000);
        await using (var abandoned = _store.BeginUpload(other)!)
        {
            abandoned.Write(otherBytes.AsSpan(0, 500_000)); // say, the body did not match its hash
        }
        (await _store.ExistsAsync(other, default)).ShouldBeFalse();
        Directory.EnumerateFiles(_dir.Sub("chunks"), "*", SearchOption.AllDirectories).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task A_fan_out_directory_removed_behind_the_stores_back_is_created_again_by_every_write_path()
    {
        if (backend != Backend.Sqlite) return; // directories are the local store's
        var local = (LocalChunkStore)_store;
        var (hash, bytes) = Chunk();
        await _store.PutAsync(hash, bytes, default); // the store now knows the directory
        foreach (var write in new Func<Task>[]
        {
            () => _store.PutAsync(hash, bytes, default),
            () => _store.PutManyAsync([(hash, bytes)], default),
            async () =>
            {
                await using var upload = _store.BeginUpload(hash)!;
                upload.Write(bytes);
                await upload.CompleteAsync(default);
            },
        })
        {
            Directory.Delete(Path.GetDirectoryName(local.PathOf(hash))!, recursive: true);
            await write();
            (await _store.GetAsync(hash, default)).ShouldBe(bytes);
        }
    }

    [Fact]
    public async Task Put_get_exists_and_delete_round_trip()
    {
        var (hash, bytes) = Chunk();
        (await _store.ExistsAsync(hash, default)).ShouldBeFalse();
        (await _store.GetAsync(hash, default)).ShouldBeNull();

        await _store.PutAsync(hash, bytes, default);
        await _store.PutAsync(hash, bytes, default); // idempotent
        (await _store.ExistsAsync(hash, default)).ShouldBeTrue();
        (await _store.GetAsync(hash, default)).ShouldBe(bytes);

        await _store.DeleteAsync(hash, default);
        await _store.DeleteAsync(hash, default); // absent is success
        (await _store.ExistsAsync(hash, default)).ShouldBeFalse();
        (await _store.GetAsync(hash, default)).ShouldBeNull();
    }

    [Fact]
    public async Task An_empty_chunk_round_trips()
    {
        var (hash, bytes) = Chunk(0);
        await _store.PutAsync(hash, bytes, default);
        (await _store.GetAsync(hash, default)).ShouldBe(bytes);
    }

    [Fact]
    public async Task A_corrupted_chunk_is_never_served()
    {
        var (hash, bytes) = Chunk();
        await _store.PutAsync(hash, bytes, default);
        var bad = (byte[])bytes.Clone();
        bad[100] ^= 0xff;
        if (_store is LocalChunkStore local)
        {
            await File.WriteAllBytesAsync(local.PathOf(hash), bad);
        }
        else
        {
            var s3 = (S3ChunkStore)_store;
            using var raw = TestS3.Client();
            await raw.PutObjectAsync(new PutObjectRequest { BucketName = s3.Bucket, Key = s3.KeyOf(hash), InputStream = new MemoryStream(bad), UseChunkEncoding = false });
        }

        var e = await Should.ThrowAsync<ChunkCorruptedException>(() => _store.GetAsync(hash, default));
        e.Hash.ShouldBe(hash);

        // Quarantine moves the damaged copy aside, so the next put stores the good bytes instead of skipping them.
        await _store.QuarantineAsync(hash, default);
        (await _store.ExistsAsync(hash, default)).ShouldBeFalse();
        (await _store.GetAsync(hash, default)).ShouldBeNull();
        await _store.PutAsync(hash, bytes, default);
        (await _store.GetAsync(hash, default)).ShouldBe(bytes);
        await _store.DeleteAsync(hash, default);
        await _store.QuarantineAsync(hash, default); // absent is success
        if (_store is LocalChunkStore)
        {
            var kept = Directory.GetFiles(Path.Combine(_dir.Sub("chunks"), "quarantine")).ShouldHaveSingleItem();
            (await File.ReadAllBytesAsync(kept)).ShouldBe(bad, "the damaged bytes are kept for the operator");
        }
    }
}

/// <summary>S3-only behaviour: retries, unavailability, corrupted objects through the API, start-up probes.</summary>
public sealed class S3FaultTests
{
    [Fact]
    public async Task Transient_S3_errors_are_retried_until_the_request_succeeds()
    {
        var bucket = await TestS3.CreateBucketAsync();
        var faults = new FaultInjector();
        using var store = await S3ChunkStore.OpenAsync(
            ChunkStoreTests.S3Settings($"s3://{bucket}/p") with { HttpClientFactory = faults }, default);
        var bytes = RandomNumberGenerator.GetBytes(1000);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));

        faults.FailNext(2, HttpStatusCode.ServiceUnavailable);
        await store.PutAsync(hash, bytes, default);
        faults.FailNext(3, HttpStatusCode.InternalServerError);
        (await store.GetAsync(hash, default)).ShouldBe(bytes);
        faults.Injected.ShouldBe(5);
    }

    [Fact]
    public async Task An_S3_store_that_keeps_failing_reports_unavailable_instead_of_hanging_or_serving_nothing()
    {
        var bucket = await TestS3.CreateBucketAsync();
        var faults = new FaultInjector();
        using var store = await S3ChunkStore.OpenAsync(
            ChunkStoreTests.S3Settings($"s3://{bucket}/p") with { HttpClientFactory = faults, MaxRetries = 2 }, default);
        faults.FailNext(int.MaxValue, HttpStatusCode.ServiceUnavailable);
        await Should.ThrowAsync<ChunkStoreUnavailableException>(() => store.GetAsync(new string('a', 64), default));
        faults.Injected.ShouldBe(3);
    }

    [Fact]
    public async Task A_corrupted_object_is_answered_with_an_error_never_with_its_bytes()
    {
        await using var server = await TestServer.StartAsync(Backend.Postgres);
        using var client = await SyncClient.CreateAsync(server);
        var bytes = RandomNumberGenerator.GetBytes(5000);
        var hash = await client.UploadAsync(bytes);
        var storage = (PostgresS3Instance)server.Storage;
        using (var raw = TestS3.Client())
        {
            var store = (S3ChunkStore)server.App.Services.GetService(typeof(IChunkStore))!;
            var bad = (byte[])bytes.Clone();
            bad[0] ^= 1;
            await raw.PutObjectAsync(new PutObjectRequest { BucketName = storage.Bucket, Key = store.KeyOf(hash), InputStream = new MemoryStream(bad), UseChunkEncoding = false });
        }

        var r = await client.Http.GetAsync($"{client.Base}/chunks/{hash}");
        ((int)r.StatusCode).ShouldBe(500);
        (await r.Content.ReadAsByteArrayAsync()).ShouldNotBe(bytes);
        r.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task A_missing_bucket_fails_start_up_naming_the_setting()
    {
        var e = await Should.ThrowAsync<InvalidOperationException>(() =>
            S3ChunkStore.OpenAsync(ChunkStoreTests.S3Settings("s3://no-such-bucket-" + Guid.NewGuid().ToString("N")[..8] + "/p"), default));
        e.Message.ShouldStartWith("TINYSYNC_BLOB_STORE");
        e.Message.ShouldContain("does not exist");
    }

    [Fact]
    public async Task An_unreachable_endpoint_fails_start_up_naming_the_setting()
    {
        var settings = ChunkStoreTests.S3Settings("s3://bucket/p") with { Endpoint = "http://127.0.0.1:9", MaxRetries = 0 };
        var e = await Should.ThrowAsync<InvalidOperationException>(() => S3ChunkStore.OpenAsync(settings, default));
        e.Message.ShouldStartWith("TINYSYNC_S3_ENDPOINT");
    }

    [Theory]
    [InlineData("bucket/prefix")]
    [InlineData("s3://B/prefix")]
    [InlineData("s3://x")]
    public void A_malformed_blob_store_setting_is_refused(string value)
    {
        Should.Throw<InvalidOperationException>(() => S3ChunkStoreSettings.ParseLocation(value)).Message.ShouldStartWith("TINYSYNC_BLOB_STORE");
    }
}

/// <summary>Answers the next N requests with an error status instead of forwarding them to S3.</summary>
public sealed class FaultInjector : HttpClientFactory
{
    int _remaining;
    int _injected;
    HttpStatusCode _status;

    public int Injected => Volatile.Read(ref _injected);

    public void FailNext(int count, HttpStatusCode status)
    {
        _status = status;
        Volatile.Write(ref _remaining, count);
    }

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new Handler(this) { InnerHandler = new HttpClientHandler() });

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    sealed class Handler(FaultInjector owner) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Interlocked.Decrement(ref owner._remaining) >= 0)
            {
                Interlocked.Increment(ref owner._injected);
                return Task.FromResult(new HttpResponseMessage(owner._status) { RequestMessage = request, Content = new StringContent("") });
            }
            Interlocked.Exchange(ref owner._remaining, 0);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
