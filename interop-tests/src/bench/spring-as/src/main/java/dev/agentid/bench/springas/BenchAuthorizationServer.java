package dev.agentid.bench.springas;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.oauth2.server.authorization.InMemoryOAuth2AuthorizationService;
import org.springframework.security.oauth2.server.authorization.OAuth2Authorization;
import org.springframework.security.oauth2.server.authorization.OAuth2AuthorizationService;
import org.springframework.security.oauth2.server.authorization.OAuth2TokenType;
import org.springframework.security.oauth2.server.authorization.client.InMemoryRegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;
import org.springframework.security.config.annotation.web.configurers.oauth2.server.authorization.OAuth2AuthorizationServerConfigurer;
import org.springframework.security.oauth2.server.authorization.settings.AuthorizationServerSettings;
import org.springframework.security.oauth2.server.authorization.settings.ClientSettings;
import org.springframework.security.oauth2.server.authorization.settings.TokenSettings;
import org.springframework.security.oauth2.server.authorization.token.JwtEncodingContext;
import org.springframework.security.oauth2.server.authorization.token.OAuth2TokenCustomizer;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Principal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The smallest Spring Authorization Server that serves the side-by-side benchmark's workloads: client_credentials and
 * RFC 8693 token exchange, clients authenticated with private_key_jwt (ES256), ES256-signed JWT access tokens, token
 * introspection; everything else is the framework's default (in-memory authorization service, Tomcat).
 *
 * <p>Every client is registered from {@code --bench.clients.dir}: one {@code CLIENT_ID.jwks.json} (a public JWK set)
 * per client. Spring Authorization Server resolves private_key_jwt keys through a {@code jwks_uri} only, so this app
 * serves those files itself under {@code /bench/clients/CLIENT_ID/jwks}; the decoder caches them after the first
 * request.
 */
@SpringBootApplication
public class BenchAuthorizationServer {

    static final String SCOPE = "files:read";

    public static void main(String[] args) {
        SpringApplication.run(BenchAuthorizationServer.class, args);
    }

    @Bean
    @Order(1)
    SecurityFilterChain authorizationServer(HttpSecurity http) throws Exception {
        OAuth2AuthorizationServerConfigurer authorizationServer = new OAuth2AuthorizationServerConfigurer();
        http.securityMatcher(authorizationServer.getEndpointsMatcher())
                .with(authorizationServer, Customizer.withDefaults())
                .authorizeHttpRequests(requests -> requests.anyRequest().authenticated());
        return http.build();
    }

    @Bean
    @Order(2)
    SecurityFilterChain clientKeys(HttpSecurity http) throws Exception {
        http.authorizeHttpRequests(requests -> requests
                .requestMatchers("/bench/clients/**").permitAll()
                .anyRequest().denyAll());
        return http.build();
    }

    static String base(int port) {
        return "http://127.0.0.1:" + port;
    }

    @Bean
    AuthorizationServerSettings authorizationServerSettings(@Value("${server.port}") int port) {
        return AuthorizationServerSettings.builder().issuer(base(port)).build();
    }

    @Bean
    ClientJwks clientJwks(@Value("${bench.clients.dir}") Path dir) {
        return new ClientJwks(dir);
    }

    @Bean
    RegisteredClientRepository registeredClients(ClientJwks jwks, @Value("${server.port}") int port) {
        List<RegisteredClient> clients = new ArrayList<>();
        for (String clientId : jwks.byClient.keySet()) {
            clients.add(RegisteredClient.withId(UUID.randomUUID().toString())
                    .clientId(clientId)
                    .clientAuthenticationMethod(ClientAuthenticationMethod.PRIVATE_KEY_JWT)
                    .authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
                    .authorizationGrantType(AuthorizationGrantType.TOKEN_EXCHANGE)
                    .scope(SCOPE)
                    .clientSettings(ClientSettings.builder()
                            .jwkSetUrl(base(port) + "/bench/clients/" + clientId + "/jwks")
                            .tokenEndpointAuthenticationSigningAlgorithm(SignatureAlgorithm.ES256)
                            .build())
                    .tokenSettings(TokenSettings.builder().accessTokenTimeToLive(Duration.ofHours(1)).build())
                    .build());
        }
        return new InMemoryRegisteredClientRepository(clients);
    }

    /**
     * The framework's in-memory authorization service, with one addition: Spring Authorization Server exchanges a
     * subject token only if its authorization carries a principal (OAuth2TokenExchangeAuthenticationProvider answers
     * invalid_grant otherwise), and client_credentials authorizations carry none; here they get the client as their
     * principal, so that a client_credentials token can be exchanged as in the other servers.
     */
    @Bean
    OAuth2AuthorizationService authorizationService() {
        InMemoryOAuth2AuthorizationService store = new InMemoryOAuth2AuthorizationService();
        return new OAuth2AuthorizationService() {
            @Override
            public void save(OAuth2Authorization authorization) {
                if (AuthorizationGrantType.CLIENT_CREDENTIALS.equals(authorization.getAuthorizationGrantType())
                        && authorization.getAttribute(Principal.class.getName()) == null) {
                    authorization = OAuth2Authorization.from(authorization).attribute(Principal.class.getName(),
                            UsernamePasswordAuthenticationToken.authenticated(authorization.getPrincipalName(), null,
                                    List.of())).build();
                }
                store.save(authorization);
            }

            @Override
            public void remove(OAuth2Authorization authorization) {
                store.remove(authorization);
            }

            @Override
            public OAuth2Authorization findById(String id) {
                return store.findById(id);
            }

            @Override
            public OAuth2Authorization findByToken(String token, OAuth2TokenType tokenType) {
                return store.findByToken(token, tokenType);
            }
        };
    }

    /** The access-token signing key: a fresh P-256 key per start. */
    @Bean
    JWKSource<SecurityContext> jwkSource() throws JOSEException {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
                .keyID(UUID.randomUUID().toString()).generate();
        return new ImmutableJWKSet<>(new JWKSet(key));
    }

    /** Access tokens are signed with ES256 (the framework's default is RS256). */
    @Bean
    OAuth2TokenCustomizer<JwtEncodingContext> es256AccessTokens() {
        return context -> context.getJwsHeader().algorithm(SignatureAlgorithm.ES256);
    }

    /** The clients' public JWK sets, read once at start. */
    static final class ClientJwks {
        final Map<String, String> byClient = new ConcurrentHashMap<>();

        ClientJwks(Path dir) {
            try (var files = Files.list(dir)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    String name = file.getFileName().toString();
                    if (name.endsWith(".jwks.json")) {
                        byClient.put(name.substring(0, name.length() - ".jwks.json".length()),
                                Files.readString(file, StandardCharsets.UTF_8));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @RestController
    static class ClientJwksEndpoint {
        private final ClientJwks jwks;

        ClientJwksEndpoint(ClientJwks jwks) {
            this.jwks = jwks;
        }

        @GetMapping("/bench/clients/{clientId}/jwks")
        ResponseEntity<String> jwks(@PathVariable String clientId) {
            String set = jwks.byClient.get(clientId);
            return set == null ? ResponseEntity.notFound().build()
                    : ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(set);
        }
    }
}
