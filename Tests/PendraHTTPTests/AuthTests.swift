import XCTest
@testable import PendraHTTP

final class AuthTests: XCTestCase {
    private let store = KeyStore(keys: [
        APIKey(key: "sk-owner-secret", role: .owner, organisation: "acme", name: "ci"),
        APIKey(key: "sk-member-secret", role: .member, organisation: "acme"),
        APIKey(key: "sk-other", role: .member, organisation: "beta"),
    ])

    // MARK: parsing PENDRA_API_KEYS

    func testParsesFullAndShortEntriesWithDefaults() throws {
        let keys = try KeyStore.parse(" sk-a:owner:acme:ci , sk-b::beta, sk-c ,sk-d:MEMBER,, ")
        XCTAssertEqual(keys, [
            APIKey(key: "sk-a", role: .owner, organisation: "acme", name: "ci", source: .environment),
            APIKey(key: "sk-b", role: .member, organisation: "beta", source: .environment),
            APIKey(key: "sk-c", role: .member, organisation: "default", source: .environment),
            APIKey(key: "sk-d", role: .member, organisation: "default", source: .environment),
        ])
    }

    func testParseErrorsNameTheEntryButNeverTheKey() {
        XCTAssertThrowsError(try KeyStore.parse("sk-good, sk-secret-1:admin")) { error in
            XCTAssertEqual(error as? KeyStoreError, .unknownRole(entry: 2))
            XCTAssertFalse("\(error)".contains("sk-secret-1"))
        }
        XCTAssertThrowsError(try KeyStore.parse(":owner:acme")) { error in
            XCTAssertEqual(error as? KeyStoreError, .emptyKey(entry: 1))
        }
        XCTAssertThrowsError(try KeyStore.parse("sk-dup:owner, sk-dup:member")) { error in
            XCTAssertEqual(error as? KeyStoreError, .duplicateKey(entry: 2))
            XCTAssertFalse("\(error)".contains("sk-dup"))
        }
    }

    func testLoadCombinesConfigAndEnvironment() throws {
        let config = [APIKey(key: "sk-config", role: .owner)]
        let store = try KeyStore.load(config: config, environment: ["PENDRA_API_KEYS": "sk-env:member:acme"])
        XCTAssertEqual(store.keys.map(\.id), [APIKey(key: "sk-config").id, APIKey(key: "sk-env").id])
        XCTAssertEqual(store.keys.map(\.source), [.config, .environment])
        XCTAssertEqual(try store.authenticate(["x-api-key": "sk-env"]).get().organisation, "acme")
        XCTAssertTrue(try KeyStore.load(environment: [:]).isOpen)
    }

    // MARK: extraction

    func testPresentedKeysFromBearerAndXAPIKey() {
        XCTAssertEqual(KeyStore.presentedKeys(in: ["Authorization": "Bearer sk-1"]), ["sk-1"])
        XCTAssertEqual(KeyStore.presentedKeys(in: ["authorization": "bearer   sk-1 "]), ["sk-1"])
        XCTAssertEqual(KeyStore.presentedKeys(in: ["X-Api-Key": "sk-2"]), ["sk-2"])
        XCTAssertEqual(KeyStore.presentedKeys(in: ["Authorization": "Bearer sk-1", "x-api-key": "sk-2"]), ["sk-1", "sk-2"])
        XCTAssertEqual(KeyStore.presentedKeys(in: ["Authorization": "Basic dXNlcjpwYXNz"]), [])
        XCTAssertEqual(KeyStore.presentedKeys(in: ["Authorization": "Bearer "]), [])
        XCTAssertEqual(KeyStore.presentedKeys(in: HTTPHeaders()), [])
    }

    // MARK: authentication

    func testOpenServerMakesEveryoneAnAnonymousOwner() {
        let open = KeyStore(keys: [])
        XCTAssertEqual(try open.authenticate(HTTPHeaders()).get(), .anonymousOwner)
        XCTAssertEqual(try open.authenticate(["x-api-key": "anything"]).get().role, .owner)
        XCTAssertEqual(try open.authorize(HTTPHeaders(), requirement: .owner).get(), .anonymousOwner)
    }

    func testMissingAndWrongKeysAre401() {
        guard case .failure(let missing) = store.authenticate(HTTPHeaders()) else { return XCTFail("accepted") }
        XCTAssertEqual(missing.status, 401)
        XCTAssertEqual(missing.message, "Missing API key")
        guard case .failure(let wrong) = store.authenticate(["Authorization": "Bearer sk-owner-secreT"]) else {
            return XCTFail("accepted")
        }
        XCTAssertEqual(wrong.status, 401)
        XCTAssertEqual(wrong.message, "Invalid API key")
        for near in ["sk-owner-secre", "sk-owner-secretX", "", "sk-owner-secret\u{0}"] {
            XCTAssertNil(store.lookup(near), near)
        }
    }

    func testValidKeysYieldTheirPrincipal() throws {
        let owner = try store.authenticate(["Authorization": "Bearer sk-owner-secret"]).get()
        XCTAssertEqual(owner, Principal(role: .owner, organisation: "acme", name: "ci"))
        let member = try store.authenticate(["x-api-key": "sk-other"]).get()
        XCTAssertEqual(member, Principal(role: .member, organisation: "beta"))
        // A wrong bearer beside a right x-api-key still authenticates.
        let both = try store.authenticate(["Authorization": "Bearer nope", "x-api-key": "sk-member-secret"]).get()
        XCTAssertEqual(both.organisation, "acme")
        XCTAssertEqual(both.role, .member)
    }

    func testRouteRequirements() throws {
        let member: HTTPHeaders = ["x-api-key": "sk-member-secret"]
        let owner: HTTPHeaders = ["x-api-key": "sk-owner-secret"]
        XCTAssertNil(try store.authorize(HTTPHeaders(), requirement: .public).get())
        XCTAssertNil(try store.authorize(["x-api-key": "bad"], requirement: .public).get())
        XCTAssertEqual(try store.authorize(member, requirement: .public).get()?.role, .member)
        XCTAssertEqual(try store.authorize(member, requirement: .member).get()?.role, .member)
        XCTAssertEqual(try store.authorize(owner, requirement: .owner).get()?.role, .owner)
        guard case .failure(let denied) = store.authorize(member, requirement: .owner) else { return XCTFail("allowed") }
        XCTAssertEqual(denied.status, 403)
        guard case .failure(let missing) = store.authorize(HTTPHeaders(), requirement: .member) else {
            return XCTFail("allowed")
        }
        XCTAssertEqual(missing.status, 401)
        XCTAssertEqual(KeyStore.requireOwner(Principal(role: .member, organisation: "x")).map { _ in 0 },
                       .failure(.forbidden()))
    }

    func testConstantTimeEqualsComparesLengthAndEveryByte() {
        let a = SHA256.hash(Array("abcdef".utf8))
        XCTAssertTrue(KeyStore.constantTimeEquals(a, a))
        var b = a
        b[31] ^= 1
        XCTAssertFalse(KeyStore.constantTimeEquals(a, b))
        b = a
        b[0] ^= 0x80
        XCTAssertFalse(KeyStore.constantTimeEquals(a, b))
        XCTAssertFalse(KeyStore.constantTimeEquals(a, Array(a.prefix(31))))
    }

    func testSHA256KnownAnswers() {
        // FIPS 180-4 examples, plus the two-block and exact-boundary cases.
        let cases: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            (String(repeating: "a", count: 64), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
        ]
        for (text, want) in cases {
            XCTAssertEqual(SHA256.hex(SHA256.hash(Array(text.utf8))), want, text)
        }
        XCTAssertEqual(SHA256.hex(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000))),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    // MARK: redaction

    func testNoDescriptionRevealsTheKey() {
        let key = APIKey(key: "sk-very-secret", role: .owner, organisation: "acme", name: "ci")
        var dumped = ""
        dump(key, to: &dumped)
        var dumpedStore = ""
        dump(store, to: &dumpedStore)
        let principal = try? store.authenticate(["x-api-key": "sk-owner-secret"]).get()
        XCTAssertFalse(dumpedStore.contains("secrets"), dumpedStore)   // no raw key bytes
        let texts = [dumpedStore, "\(store)", key.description, key.debugDescription, "\(key)", String(reflecting: key), dumped,
                     "\([key])", principal.map { "\($0)" } ?? "", String(reflecting: principal as Any)]
        for text in texts {
            XCTAssertFalse(text.contains("sk-very-secret"), text)
            XCTAssertFalse(text.contains("sk-owner-secret"), text)
        }
        XCTAssertTrue(key.description.contains(key.id))
        XCTAssertTrue(key.description.contains("acme"))
        for error in [APIError.missingAPIKey(), .unauthorized()] {
            XCTAssertFalse(String(decoding: error.response(family: .openai, requestId: "r").body, as: UTF8.self)
                .contains("sk-"))
        }
    }
}
