"""Bring the shipped questions' Korean in line with KO_GLOSSARY.md on existing databases.

0002 loads the bank only into a database that lacks it, so a database made before this
release keeps the old wording (English health states inside Korean prose, three renderings
of fail open, 인터넷 연결 for the scheme, 공인/공공 for public, calques) and one claim
that was wrong (that only the Classic Load Balancer supports HTTPS). Each change is frozen
here as (question key, choice position or 0 for the question, field, old text, new text),
and a field is changed only while it still holds the old text: an admin's edit stays.
"""

from django.db import migrations

CHANGES = [
    ('alb-503-no-registered-targets', 0, 'explanation_ko', '규칙의 대상 그룹에 등록된 대상이 없으면 ALB는 503을 돌려줍니다(대상 그룹의 교차 영역이 꺼져 있고 노드의 영역에 대상이 없을 때도 마찬가지입니다). 대상이 등록되어 있지만 모두 unhealthy라면 503 대신 실패 시 개방(fail open)합니다.', '규칙의 대상 그룹에 등록된 대상이 없으면 ALB는 503을 돌려줍니다(대상 그룹의 교차 영역이 꺼져 있고 노드의 영역에 대상이 없을 때도 마찬가지입니다). 대상이 등록되어 있지만 모두 비정상이라면 503 대신 오류 시 열림(fail open)으로 동작해 모든 대상에 전달합니다.'),
    ('alb-503-no-registered-targets', 2, 'text_ko', '등록된 대상이 모두 unhealthy다.', '등록된 대상이 모두 비정상(`unhealthy`)이다.'),
    ('alb-503-no-registered-targets', 2, 'explanation_ko', '그러면 ALB는 fail open하여 그래도 전달합니다.', '그러면 ALB는 오류 시 열림(fail open)으로 동작해 그래도 전달합니다.'),
    ('alb-rule-priority-first-match', 0, 'explanation_ko', '규칙은 우선순위 숫자가 작은 것부터 평가하며, 조건이 모두 일치하는 첫 규칙이 이깁니다. 규칙 10이 먼저 일치하므로 TG-A로 갑니다. 기본 규칙은 아무것도 일치하지 않을 때만 실행됩니다.', '규칙은 우선순위 숫자가 작은 것부터 평가하며, 조건이 모두 일치하는 첫 규칙이 적용됩니다. 규칙 10이 먼저 일치하므로 TG-A로 갑니다. 기본 규칙은 아무것도 일치하지 않을 때만 실행됩니다.'),
    ('alb-rule-priority-first-match', 3, 'explanation_ko', '규칙 하나만 이기며 요청은 복제되지 않습니다.', '규칙 하나만 적용되며 요청은 복제되지 않습니다.'),
    ('alb-rule-priority-first-match', 4, 'explanation_ko', '여러 규칙이 일치해도 되며 첫 규칙이 이깁니다.', '여러 규칙이 일치할 수 있으며, 그중 우선순위가 가장 높은 첫 규칙이 적용됩니다.'),
    ('alb-target-types', 0, 'explanation_ko', 'ALB 대상 유형은 instance, ip, lambda입니다. IP 대상은 프라이빗 주소(VPC 서브넷, RFC 1918 대역, 100.64.0.0/10)여야 하며 공인 주소는 거부됩니다. Network Load Balancer는 ALB의 대상이 될 수 없습니다(ALB가 NLB의 대상이 될 수는 있지만 반대는 안 됩니다).', 'ALB 대상 유형은 instance, ip, lambda입니다. IP 대상은 프라이빗 주소(VPC 서브넷, RFC 1918 대역, 100.64.0.0/10)여야 하며 퍼블릭으로 라우팅되는 주소는 거부됩니다. Network Load Balancer는 ALB의 대상이 될 수 없습니다(ALB가 NLB의 대상이 될 수는 있지만 반대는 안 됩니다).'),
    ('alb-target-types', 3, 'text_ko', '인터넷의 공인 IP 주소.', '인터넷의 퍼블릭 IP 주소.'),
    ('alb-target-types', 3, 'explanation_ko', '공인 라우팅 주소는 거부됩니다.', '퍼블릭으로 라우팅되는 주소는 거부됩니다.'),
    ('clb-connection-draining', 2, 'text_ko', 'unhealthy 인스턴스의 연결을 즉시 모두 끊는다.', '비정상(`unhealthy`) 인스턴스의 연결을 즉시 모두 끊는다.'),
    ('clb-healthy-threshold-default', 2, 'explanation_ko', '한 번 통과로 충분한 것은 initial 상태의 새 ELBv2 대상뿐입니다.', '한 번 통과로 충분한 것은 초기(`initial`) 상태의 새 ELBv2 대상뿐입니다.'),
    ('clb-routing-algorithms', 0, 'explanation_ko', 'CLB는 TCP 리스너에는 라운드 로빈을, HTTP·HTTPS 리스너에는 미해결 요청이 가장 적은 인스턴스(least outstanding requests)를 씁니다.', 'CLB는 TCP 리스너에는 라운드 로빈을, HTTP·HTTPS 리스너에는 최소 미해결 요청(least outstanding requests)을 씁니다.'),
    ('clb-routing-algorithms', 1, 'text_ko', 'HTTP/HTTPS 리스너는 미해결 요청 최소, TCP 리스너는 라운드 로빈.', 'HTTP/HTTPS 리스너는 최소 미해결 요청, TCP 리스너는 라운드 로빈.'),
    ('clb-routing-algorithms', 2, 'explanation_ko', 'HTTP 리스너는 미해결 요청 최소 방식을 씁니다.', 'HTTP 리스너는 최소 미해결 요청 방식을 씁니다.'),
    ('clb-routing-algorithms', 4, 'text_ko', '자동 대상 가중치를 쓰는 가중 랜덤.', '자동 대상 가중치를 쓰는 가중치 랜덤.'),
    ('cz-nlb-hot-targets', 4, 'text_ko', '미해결 요청 최소 방식을 쓴다.', '최소 미해결 요청 방식을 쓴다.'),
    ('elb-newer-generation', 1, 'text_ko', '기능이 더 많은 현재 세대(ALB, NLB, GWLB).', '현재 세대(ALB, NLB, GWLB). 기능이 더 많기 때문입니다.'),
    ('elb-newer-generation', 2, 'text_ko', '가장 단순한 Classic Load Balancer.', 'Classic Load Balancer. 가장 단순하기 때문입니다.'),
    ('elb-newer-generation', 3, 'text_ko', 'HTTPS를 지원하는 유일한 Classic Load Balancer.', 'Classic Load Balancer. HTTPS를 지원하는 것은 이것뿐이기 때문입니다.'),
    ('elb-newer-generation', 3, 'explanation_en', 'ALB has HTTPS listeners and NLB has TLS listeners.', 'Not so: CLB, ALB and NLB all terminate TLS (ALB on HTTPS listeners, NLB on TLS listeners).'),
    ('elb-newer-generation', 3, 'explanation_ko', 'ALB에는 HTTPS 리스너, NLB에는 TLS 리스너가 있습니다.', '그렇지 않습니다. CLB, ALB, NLB 모두 TLS를 종료합니다(ALB는 HTTPS 리스너, NLB는 TLS 리스너).'),
    ('elb-newer-generation', 4, 'text_ko', '상관없다. 모든 유형의 기능이 같다.', '상관없습니다. 모든 유형의 기능이 같기 때문입니다.'),
    ('gwlb-no-fail-open', 0, 'prompt_ko', 'Gateway Load Balancer 뒤의 모든 어플라이언스가 unhealthy입니다. 새 흐름은 어떻게 됩니까?', 'Gateway Load Balancer 뒤의 모든 어플라이언스가 비정상(`unhealthy`)입니다. 새 흐름은 어떻게 됩니까?'),
    ('gwlb-no-fail-open', 0, 'explanation_ko', 'GWLB는 ALB처럼 fail open하지 않습니다. 새 흐름마다 무작위 대상을 골라 흐름이 끝날 때까지 유지하므로, 그 어플라이언스가 복구될 때까지 트래픽이 버려집니다. 검사를 건너뛰는 일은 없습니다.', 'GWLB는 ALB와 달리 오류 시 열림(fail open)으로 동작하지 않습니다. 새 흐름마다 무작위 대상을 골라 흐름이 끝날 때까지 유지하므로, 그 어플라이언스가 복구될 때까지 트래픽이 버려집니다. 검사를 건너뛰는 일은 없습니다.'),
    ('gwlb-no-fail-open', 1, 'explanation_ko', '맞습니다. fail open이 없습니다.', '맞습니다. 오류 시 열림이 없습니다.'),
    ('gwlb-no-fail-open', 3, 'text_ko', 'fail open하여 라운드 로빈으로 모든 어플라이언스에 흐름을 나눈다.', '오류 시 열림(fail open)으로 동작해 라운드 로빈으로 모든 어플라이언스에 흐름을 나눈다.'),
    ('gwlb-no-fail-open', 3, 'explanation_ko', 'fail open은 ALB/NLB의 동작입니다.', '오류 시 열림은 ALB/NLB의 동작입니다.'),
    ('hc-alb-defaults', 0, 'prompt_ko', '인스턴스 대상에 대한 ALB 기본 상태 확인 설정에서, 대상은 얼마나 자주 확인되고 몇 번 연속 실패하면 unhealthy가 됩니까?', '인스턴스 대상에 대한 ALB 기본 상태 확인 설정에서, 대상은 얼마나 자주 확인되고 몇 번 연속 실패하면 비정상(`unhealthy`)이 됩니까?'),
    ('hc-alb-defaults', 1, 'explanation_ko', '맞습니다(다시 healthy가 되려면 연속 5회 통과).', '맞습니다(다시 정상(`healthy`)이 되려면 연속 5회 통과).'),
    ('hc-alb-fails-open', 0, 'prompt_ko', 'ALB 대상 그룹에 등록된 모든 대상이 unhealthy입니다. ALB는 이 대상 그룹으로 가는 새 요청을 어떻게 처리합니까?', 'ALB 대상 그룹에 등록된 모든 대상이 비정상(`unhealthy`)입니다. ALB는 이 대상 그룹으로 가는 새 요청을 어떻게 처리합니까?'),
    ('hc-alb-fails-open', 0, 'explanation_ko', 'ALB는 실패 시 개방(fail open)합니다. 정상 대상이 없으면 일반 알고리즘으로 등록된 모든 대상에 라우팅해 일부라도 응답하기를 기대합니다(UnhealthyRoutingRequestCount가 이런 요청을 셉니다). 503은 대상 그룹에 등록된 대상이 하나도 없을 때 돌려줍니다.', 'ALB는 오류 시 열림(fail open)으로 동작합니다. 정상 대상이 없으면 일반 알고리즘으로 등록된 모든 대상에 라우팅해 일부라도 응답하기를 기대합니다(UnhealthyRoutingRequestCount가 이런 요청을 셉니다). 503은 대상 그룹에 등록된 대상이 하나도 없을 때 돌려줍니다.'),
    ('hc-alb-fails-open', 1, 'text_ko', '실패 시 개방(fail open)하여 모든 대상에 그대로 라우팅한다.', '오류 시 열림(fail open)으로 동작해 모든 대상에 그대로 라우팅한다.'),
    ('hc-deregistration-draining', 0, 'explanation_ko', '등록 취소하면 새 요청은 즉시 멈추고, 진행 중인 요청이 끝나는 동안 대상은 draining(Target.DeregistrationInProgress)으로 표시됩니다. 최대 등록 취소 지연 시간(기본 300초)이 지나면 대상이 제거됩니다.', '등록 취소하면 새 요청은 즉시 멈추고, 진행 중인 요청이 끝나는 동안 대상은 드레이닝(`draining`, Target.DeregistrationInProgress)으로 표시됩니다. 최대 등록 취소 지연 시간(기본 300초)이 지나면 대상이 제거됩니다.'),
    ('hc-deregistration-draining', 1, 'text_ko', 'draining으로 표시되어 새 요청은 없고, 진행 중인 요청은 최대 300초 안에 끝낼 수 있다.', '드레이닝(`draining`)으로 표시되어 새 요청은 없고, 진행 중인 요청은 최대 300초 안에 끝낼 수 있다.'),
    ('hc-deregistration-draining', 4, 'text_ko', 'unhealthy로 표시되고 종료된다.', '비정상으로 표시되고 종료된다.'),
    ('hc-deregistration-draining', 4, 'explanation_ko', 'draining은 unhealthy가 아니며 로드 밸런서는 아무것도 종료하지 않습니다.', '드레이닝은 비정상(`unhealthy`)이 아니며 로드 밸런서는 아무것도 종료하지 않습니다.'),
    ('hc-redirecting-path-fails', 0, 'explanation_ko', 'ALB의 기본 성공 코드는 200입니다. 302는 일치하지 않으므로 확인이 Target.ResponseCodeMismatch로 실패하고 대상은 unhealthy가 됩니다. 200을 돌려주는 경로를 쓰거나 성공 코드에 302를 넣으세요(ALB는 200–499 허용).', 'ALB의 기본 성공 코드는 200입니다. 302는 일치하지 않으므로 확인이 Target.ResponseCodeMismatch로 실패하고 대상은 비정상이 됩니다. 200을 돌려주는 경로를 쓰거나 성공 코드에 302를 넣으세요(ALB는 200–499 허용).'),
    ('hc-redirecting-path-fails', 1, 'text_ko', '대상이 Target.ResponseCodeMismatch로 unhealthy가 된다.', '대상이 Target.ResponseCodeMismatch로 비정상(`unhealthy`)이 된다.'),
    ('hc-redirecting-path-fails', 3, 'text_ko', '2XX나 3XX는 모두 성공이므로 healthy로 남는다.', '2XX나 3XX는 모두 성공이므로 정상(`healthy`)으로 남는다.'),
    ('hc-unhealthy-target-gets-no-traffic', 0, 'explanation_ko', '연속으로 UnhealthyThresholdCount번 실패하면 대상은 unhealthy가 되어 새 요청을 받지 않습니다. 로드 밸런서는 계속 확인하다가 HealthyThresholdCount번 연속 통과하면 다시 라우팅합니다. 로드 밸런서가 직접 재부팅하거나 종료하지는 않습니다(ELB 상태 확인을 쓰는 Auto Scaling 그룹은 교체할 수 있습니다).', '연속으로 UnhealthyThresholdCount번 실패하면 대상은 비정상(`unhealthy`)이 되어 새 요청을 받지 않습니다. 로드 밸런서는 계속 확인하다가 HealthyThresholdCount번 연속 통과하면 다시 라우팅합니다. 로드 밸런서가 직접 재부팅하거나 종료하지는 않습니다(ELB 상태 확인을 쓰는 Auto Scaling 그룹은 교체할 수 있습니다).'),
    ('hc-unhealthy-target-gets-no-traffic', 4, 'explanation_ko', '정상 대상이 있는 동안 unhealthy 대상은 순환에서 빠집니다.', '정상 대상이 있는 동안 비정상 대상은 순환에서 빠집니다.'),
    ('lb-internal-scheme-dns', 0, 'explanation_ko', '인터넷 연결 로드 밸런서와 내부 로드 밸런서 모두 DNS 이름은 공개적으로 해석됩니다. 내부 로드 밸런서는 노드의 프라이빗 IP로 해석되므로 VPC로 라우팅할 수 있는 클라이언트만 실제로 접속할 수 있습니다.', '인터넷 경계 로드 밸런서와 내부 로드 밸런서 모두 DNS 이름은 공개적으로 해석됩니다. 내부 로드 밸런서는 노드의 프라이빗 IP로 해석되므로 VPC로 라우팅할 수 있는 클라이언트만 실제로 접속할 수 있습니다.'),
    ('lb-public-lb-private-targets', 0, 'explanation_ko', '인터넷 연결(internet-facing) 로드 밸런서는 퍼블릭 서브넷에 두고 대상에는 프라이빗 IP로 접근하므로, 인스턴스는 퍼블릭 IP 없이 프라이빗 서브넷에 둘 수 있습니다. 이것이 로드 밸런서로 공공 트래픽과 내부 트래픽을 분리하는 방법입니다.', '인터넷 경계(internet-facing) 로드 밸런서는 퍼블릭 서브넷에 두고 대상에는 프라이빗 IP로 접근하므로, 인스턴스는 퍼블릭 IP 없이 프라이빗 서브넷에 둘 수 있습니다. 이것이 로드 밸런서로 퍼블릭 트래픽과 프라이빗 트래픽을 분리하는 방법입니다.'),
    ('lb-public-lb-private-targets', 1, 'text_ko', '퍼블릭 서브넷에 인터넷 연결 로드 밸런서, 퍼블릭 IP 없는 대상은 프라이빗 서브넷에.', '퍼블릭 서브넷에 인터넷 경계 로드 밸런서, 퍼블릭 IP 없는 대상은 프라이빗 서브넷에.'),
    ('lb-public-lb-private-targets', 2, 'explanation_ko', '인터넷 연결이든 내부든 로드 밸런서는 프라이빗 IP로 대상에 접근합니다.', '인터넷 경계든 내부든 로드 밸런서는 프라이빗 IP로 대상에 접근합니다.'),
    ('nlb-fixed-static-ips', 0, 'explanation_ko', 'Network Load Balancer는 활성화된 AZ마다 수명 동안 바뀌지 않는 고정 IP를 하나씩 가지며, 인터넷 연결 NLB는 AZ마다 자신의 탄력적 IP를 쓸 수 있습니다. ALB와 CLB의 주소는 바뀔 수 있어 DNS 이름으로 접속해야 합니다.', 'Network Load Balancer는 활성화된 AZ마다 수명 동안 바뀌지 않는 고정 IP를 하나씩 가지며, 인터넷 경계 NLB는 AZ마다 자신의 탄력적 IP를 쓸 수 있습니다. ALB와 CLB의 주소는 바뀔 수 있어 DNS 이름으로 접속해야 합니다.'),
    ('sg-blocked-health-check-times-out', 0, 'prompt_ko', 'ALB 대상 그룹이 트래픽은 80번 포트로 보내고 상태 확인은 8080번 포트로 합니다. 대상 보안 그룹은 ALB에서 오는 80번 포트만 허용합니다. 직접 시험하면 대상은 잘 동작하지만 `Target.Timeout`으로 unhealthy가 됩니다. 이유는 무엇입니까?', 'ALB 대상 그룹이 트래픽은 80번 포트로 보내고 상태 확인은 8080번 포트로 합니다. 대상 보안 그룹은 ALB에서 오는 80번 포트만 허용합니다. 직접 시험하면 대상은 잘 동작하지만 `Target.Timeout`으로 비정상(`unhealthy`)이 됩니다. 이유는 무엇입니까?'),
    ('sg-internet-facing-alb-inbound', 0, 'prompt_ko', '인터넷 연결 ALB에 443번 포트의 HTTPS 리스너가 있습니다. ALB 자체의 보안 그룹에는 어떤 인바운드 규칙이 필요합니까?', '인터넷 경계 ALB에 443번 포트의 HTTPS 리스너가 있습니다. ALB 자체의 보안 그룹에는 어떤 인바운드 규칙이 필요합니까?'),
    ('ssl-http2-needs-https', 3, 'explanation_ko', 'NLB는 HTTP를 말하지 않습니다.', 'NLB는 HTTP를 해석하지 않습니다(4계층).'),
    ('sticky-target-unhealthy', 0, 'prompt_ko', 'AWSALB 쿠키로 클라이언트가 대상 A에 고정되어 있습니다. 대상 A가 unhealthy가 됩니다. 클라이언트의 다음 요청은 어떻게 됩니까?', 'AWSALB 쿠키로 클라이언트가 대상 A에 고정되어 있습니다. 대상 A가 비정상(`unhealthy`)이 됩니다. 클라이언트의 다음 요청은 어떻게 됩니까?'),
    ('sticky-target-unhealthy', 0, 'explanation_ko', '쿠키의 대상이 없어졌거나 unhealthy이면 ALB는 일반 알고리즘으로 새 대상을 고르고 쿠키를 다시 씁니다. 이제 클라이언트는 새 대상에 고정됩니다.', '쿠키의 대상이 없어졌거나 비정상이면 ALB는 일반 알고리즘으로 새 대상을 고르고 쿠키를 다시 씁니다. 이제 클라이언트는 새 대상에 고정됩니다.'),
]


def _row(apps, key, position):
    Question = apps.get_model("quizzes", "Question")
    Choice = apps.get_model("quizzes", "Choice")
    if position == 0:
        return Question.objects.filter(key=key).first()
    return Choice.objects.filter(question__key=key, position=position).first()


def _apply(apps, direction):
    for key, position, field, old, new in CHANGES:
        before, after = (old, new) if direction == "forward" else (new, old)
        row = _row(apps, key, position)
        if row is not None and getattr(row, field) == before:
            setattr(row, field, after)
            row.save(update_fields=[field])


def forward(apps, schema_editor):
    _apply(apps, "forward")


def backward(apps, schema_editor):
    _apply(apps, "backward")


class Migration(migrations.Migration):
    dependencies = [("quizzes", "0002_ship_question_bank")]

    operations = [migrations.RunPython(forward, backward)]
