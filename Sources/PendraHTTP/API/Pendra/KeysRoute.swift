import Foundation
import PendraEngine

/// Key admin, owner only: GET /api/v1/keys (never a secret), POST
/// /api/v1/keys (the new secret, shown once), DELETE /api/v1/keys/{id}.
struct KeysRoute {
    let app: PendraApp

    func list(_ ctx: RequestContext) async {
        let keys = app.keyRegistry.snapshot.keys
        ctx.sendJSON(JSON(["object": "list", "data": .array(keys.map { .object(Self.entry($0)) }),
                           "persistent": .bool(app.keyRegistry.file != nil)]).bytes)
    }

    func create(_ ctx: RequestContext) async {
        do {
            // An open server has no keys to manage: a first key would lock out
            // every client that has none. Keys start in the config.
            guard !app.keyRegistry.snapshot.isOpen else {
                throw APIError(status: 409, message: "This server is open (no API keys are configured), so there are no keys to manage; configure an owner key in server.api_keys or PENDRA_API_KEYS first")
            }
            let body = try await ctx.request.body.isEmpty ? RequestBody(object: JSONObject()) : RequestBody.read(ctx.request)
            let roleName = try body.string("role") ?? "member"
            guard let role = KeyRole(rawValue: roleName) else { throw body.invalid("role", "'\(roleName)' is not owner or member") }
            let organisation = try body.string("organisation") ?? ctx.organisation
            guard !organisation.isEmpty else { throw body.invalid("organisation", "must not be empty") }
            let (key, secret) = try app.keyRegistry.create(role: role, organisation: organisation, name: try body.string("name"))
            Log.write(level: .info, message: "api key \(key.id) created (role \(role.rawValue), organisation \(organisation))")
            var out = Self.entry(key)
            out["key"] = .string(secret)
            out["persistent"] = .bool(app.keyRegistry.file != nil)
            ctx.sendJSON(JSON.object(out).bytes, status: 201)
        } catch let e as APIError {
            ctx.fail(e)
        } catch let e as KeyRegistryError {
            ctx.fail(APIError(status: 500, message: e.description))
        } catch {
            ctx.fail(.internal("\(error)"))
        }
    }

    func revoke(_ ctx: RequestContext) async {
        let id = ctx.params["id"] ?? ""
        do {
            let key = try app.keyRegistry.revoke(id: id)
            Log.write(level: .info, message: "api key \(key.id) revoked")
            ctx.sendJSON(JSON(["id": .string(key.id), "deleted": true]).bytes)
        } catch {
            switch error {
            case .notFound: ctx.fail(.notFound(error.description))
            case .notRevocable, .lastOwner: ctx.fail(APIError(status: 409, message: error.description))
            case .file: ctx.fail(APIError(status: 500, message: error.description))
            }
        }
    }

    static func entry(_ k: APIKey) -> JSONObject {
        ["id": .string(k.id), "name": k.name.map { .string($0) } ?? .null, "role": .string(k.role.rawValue),
         "organisation": .string(k.organisation), "source": .string(k.source.rawValue),
         "created_at": k.createdAt.map { .int($0) } ?? .null]
    }
}
