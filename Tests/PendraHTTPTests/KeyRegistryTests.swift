import Foundation
import XCTest
@testable import PendraHTTP

/// Keys made and revoked through the key admin API, and their file.
final class KeyRegistryTests: XCTestCase {
    private let owner = APIKey(key: "sk-owner", role: .owner, organisation: "acme")
    private let member = APIKey(key: "sk-member", role: .member, organisation: "acme", source: .environment)
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    private func principal(_ r: KeyRegistry, _ key: String) -> Principal? {
        try? r.snapshot.authenticate(["Authorization": "Bearer \(key)"]).get()
    }

    func testCreatedKeyAuthenticatesUntilRevoked() throws {
        let r = try KeyRegistry(operatorKeys: [owner, member], file: nil)
        let (key, secret) = try r.create(role: .member, organisation: "beta", name: "laptop", now: 1_700_000_000)
        XCTAssertTrue(secret.hasPrefix("pdr_sk_") && secret.count == 55, secret)
        XCTAssertEqual(key.source, .api)
        XCTAssertEqual(key.createdAt, 1_700_000_000)
        XCTAssertEqual(principal(r, secret), Principal(role: .member, organisation: "beta", name: "laptop"))
        XCTAssertEqual(r.snapshot.keys.count, 3)

        XCTAssertEqual(try r.revoke(id: key.id).id, key.id)
        XCTAssertNil(principal(r, secret))
        XCTAssertNotNil(principal(r, "sk-owner"))
        XCTAssertThrowsError(try r.revoke(id: key.id)) { XCTAssertEqual($0 as? KeyRegistryError, .notFound(key.id)) }
    }

    func testOperatorKeysAndTheLastOwnerStay() throws {
        let r = try KeyRegistry(operatorKeys: [owner, member], file: nil)
        XCTAssertThrowsError(try r.revoke(id: owner.id)) {
            XCTAssertEqual($0 as? KeyRegistryError, .notRevocable(owner.id, .config))
        }
        XCTAssertThrowsError(try r.revoke(id: member.id)) {
            XCTAssertTrue("\($0)".contains("PENDRA_API_KEYS"), "\($0)")
        }
        // Only API-made owners: the last of them cannot go.
        let lone = try KeyRegistry(operatorKeys: [member], file: nil)
        let (a, _) = try lone.create(role: .owner, organisation: "acme", name: nil)
        let (b, _) = try lone.create(role: .owner, organisation: "acme", name: nil)
        try lone.revoke(id: a.id)
        XCTAssertThrowsError(try lone.revoke(id: b.id)) { XCTAssertEqual($0 as? KeyRegistryError, .lastOwner(b.id)) }
    }

    func testFileKeepsDigestsOnlyAndSurvivesRestart() throws {
        let path = dir.appendingPathComponent("state/api-keys.json").path
        let r = try KeyRegistry(operatorKeys: [owner], file: path)
        let (kept, keptSecret) = try r.create(role: .owner, organisation: "acme", name: "ops")
        let (gone, goneSecret) = try r.create(role: .member, organisation: "acme", name: nil)
        try r.revoke(id: gone.id)

        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertFalse(text.contains(keptSecret) || text.contains(goneSecret), text)
        XCTAssertTrue(text.contains(SHA256.hex(kept.digest)))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)

        let restarted = try KeyRegistry(operatorKeys: [owner], file: path)
        XCTAssertEqual(principal(restarted, keptSecret), Principal(role: .owner, organisation: "acme", name: "ops"))
        XCTAssertNil(principal(restarted, goneSecret))
        XCTAssertEqual(restarted.snapshot.keys.map(\.id), [owner.id, kept.id])
    }

    func testMissingFileIsEmptyAndACorruptOneIsAnError() throws {
        let path = dir.appendingPathComponent("api-keys.json").path
        XCTAssertEqual(try KeyRegistry(operatorKeys: [owner], file: path).snapshot.keys.count, 1)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for bad in ["not json", #"{"keys": [{"sha256": "abc", "role": "owner", "organisation": "x"}]}"#,
                    #"{"keys": [{"sha256": "\#(String(repeating: "0", count: 64))", "role": "root", "organisation": "x"}]}"#] {
            try bad.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try KeyRegistry(operatorKeys: [owner], file: path)) { error in
                guard case .file(let p, _)? = error as? KeyRegistryError else { return XCTFail("\(error)") }
                XCTAssertEqual(p, path)
            }
        }
    }
}
